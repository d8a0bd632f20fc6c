"""The serial device clients open: a pseudo-terminal whose slave looks like a
board's USB CDC port (raw bytes both ways)."""
import os
import tty


class SerialPort:
    def __init__(self, link=None):
        self.master, self._slave = os.openpty()
        # Held open by us too, so the port stays usable (and keeps its settings)
        # between clients, as a USB port does while the board is plugged in.
        tty.setraw(self._slave)
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self._slave)
        self.link = None
        if link:
            link = os.path.abspath(link)
            if os.path.islink(link):
                os.unlink(link)  # a stale link from a killed `mpk sim`
            os.symlink(self.path, link)
            self.link = link

    def close(self):
        if self.link and os.path.islink(self.link) and os.readlink(self.link) == self.path:
            os.unlink(self.link)
        self.link = None
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
        self.master = self._slave = -1
