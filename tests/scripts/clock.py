"""Reads the clock and os.urandom: no seed can make this reproducible."""
import os
import random
import time

print("seeded", random.random())
print("clock", time.time_ns())
print("urandom", os.urandom(8).hex())
