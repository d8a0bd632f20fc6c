# Board side of the end of `mpk deploy`: a complete tree gets .sums, the hash and size of
# each of its files as the host's manifest has them, then .built (its build id), the
# mark that the tree is whole. The next deploy's read (scan.py) takes a file's hash from
# .sums while the file still has that size, instead of reading the file again. Only the
# deploy writes the trees, and it removes both marks before it changes one.


def seal(tree_dir, sums, build_id):
    # sums: [(path in the tree, hash, size)].
    with open(tree_dir + ".sums", "w") as f:
        for path, h, size in sums:
            f.write("%s %d %s\n" % (h, size, path))
    with open(tree_dir + ".built", "w") as f:
        f.write(build_id)
