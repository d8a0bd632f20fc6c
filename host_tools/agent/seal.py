# Board side of the end of `mpk deploy`: a complete tree gets .sums, the hash and size of
# each of its files as the host's manifest has them ("hash size path" lines), then .built
# (its build id), the mark that the tree is whole. The next deploy's read (scan.py) takes
# a file's hash from .sums while the file still has that size, instead of reading the
# file again. Only the deploy writes the trees, and it removes both marks before it
# changes one. The .sums text comes with the tree's files, as .sums.new (a file, not a
# literal here: compiling a list of every file would take a Pico's heap), and is put in
# place only now, once the host has checked what the board wrote.
import os


def seal(tree_dir, build_id):
    try:
        os.remove(tree_dir + ".sums")
    except OSError:
        pass
    try:
        os.rename(tree_dir + ".sums.new", tree_dir + ".sums")
    except OSError:
        pass                             # none sent: every file is hashed next time
    with open(tree_dir + ".built", "w") as f:
        f.write(build_id)
