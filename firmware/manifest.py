# Freeze manifest: build MicroPython with the kernel, servers, boards and firmware frozen
# in, so they run from flash with no RAM spent compiling or holding their bytecode.
#
#   make -C ports/rp2 BOARD=RPI_PICO FROZEN_MANIFEST=/path/to/mpk/firmware/manifest.py
#   make -C ports/esp32 BOARD=ESP32_GENERIC FROZEN_MANIFEST=/path/to/mpk/firmware/manifest.py
#
# Paths are relative to this file. boot.py is not frozen: it stays on the filesystem and
# puts a deployed tree ahead of the frozen one on sys.path, so `mpk deploy` can still
# update a board that runs a frozen firmware.
include("$(PORT_DIR)/boards/manifest.py")

package("kernel", base_path="..", opt=2)
package("servers", base_path="..", opt=2)
package("boards", base_path="..", opt=2)
package("hal", base_path="..", opt=2)
package("firmware", files=("__init__.py", "main.py", "names.py", "repl.py", "srvfs.py", "srvfs_files.py", "system.py",
                           "wire.py", "apps/__init__.py", "apps/sensor_logger.py"), base_path="..", opt=2)
