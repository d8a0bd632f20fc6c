"""Host side of the microkernel project: the `mpk` command and its helpers."""
