# A small seeded generator (xorshift32): the same faults for the same seed on MicroPython
# and CPython, whatever either port's random module offers.


class Rng:
    def __init__(self, seed):
        self.s = (seed * 2654435761 + 1) & 0xFFFFFFFF or 1

    def next(self):
        x = self.s
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.s = x
        return x

    def below(self, n):
        return self.next() % n

    def pick(self, seq):
        return seq[self.next() % len(seq)]

    def chance(self, per_thousand):
        return self.next() % 1000 < per_thousand

    def bytes(self, n):
        return bytes(self.next() & 0xFF for _ in range(n))
