"""A Python workload for the preload test: dicts, lists, big integers,
string building, a JSON round trip and a thread pool. Prints one line per
part and a digest of everything; the output depends only on this file."""

import concurrent.futures
import hashlib
import json
import random
import sys

# Big integers are printed in full below (the limit exists since 3.11).
if hasattr(sys, "set_int_max_str_digits"):
    sys.set_int_max_str_digits(0)

digest = hashlib.sha256()


def report(name, value):
    text = repr(value)
    digest.update(name.encode() + b"\0" + text.encode() + b"\0")
    if len(text) > 100:
        text = hashlib.sha256(text.encode()).hexdigest()
    print(f"{name}: {text}")


# Dicts: grow, shrink, rebuild, nest.
d = {f"key{i}": i * i for i in range(120_000)}
for i in range(0, 120_000, 3):
    del d[f"key{i}"]
for i in range(50_000):
    d[(i, str(i))] = [i] * (i % 5)
report("dict", (len(d), sum(v for v in d.values() if isinstance(v, int))))
inverted = {}
for k, v in d.items():
    if isinstance(v, int):
        inverted.setdefault(v % 1000, []).append(k)
report("dict-inverted", sorted((k, len(v)) for k, v in inverted.items())[:20])

# Lists: append, sort, slice, nested lists, deletion from the middle.
rng = random.Random(12345)
lst = [rng.randrange(1 << 40) for _ in range(200_000)]
lst.sort()
report("list-sorted", lst[::10_000])
nested = [[j * i for j in range(i % 64)] for i in range(30_000)]
report("list-nested", sum(len(x) for x in nested))
for i in range(2_000):
    del lst[len(lst) // 2]
    lst.insert(i, i)
report("list-edited", (len(lst), lst[:5], lst[-5:]))

# Big integers: factorial, Fibonacci, modular power, division.
f = 1
for i in range(2, 6_000):
    f *= i
report("factorial", (len(str(f)), f % (10**40)))
a, b = 0, 1
for _ in range(20_000):
    a, b = b, a + b
report("fibonacci", (a.bit_length(), a % 1_000_000_007))
report("pow", pow(3, 200_000, (1 << 521) - 1) % 10**30)
report("divmod", divmod(f, a)[1] % 10**30)

# Strings: join, repeated concatenation, formatting, bytes, split.
parts = [str(i) * (i % 7) for i in range(150_000)]
s = "".join(parts)
report("join", (len(s), hashlib.sha256(s.encode()).hexdigest()))
t = ""
for i in range(50_000):
    t += chr(65 + i % 26)
    if i % 1000 == 999:
        t = t.lower() + "|"
report("concat", (len(t), hashlib.md5(t.encode()).hexdigest()))
words = " ".join(f"w{i % 977}-{i:x}" for i in range(100_000)).split()
report("split", (len(words), words[-3:], len(set(words))))
buf = bytearray()
for i in range(100_000):
    buf += i.to_bytes(3, "little")
report("bytearray", hashlib.sha256(buf).hexdigest())

# JSON: a round trip of a structure of dicts, lists, strings, floats.
obj = {
    "items": [
        {
            "id": i,
            "name": f"item-{i}",
            "tags": [str(t) * (t + 1) for t in range(i % 6)],
            "value": i / 7,
            "nested": {"a": [i, {"b": str(i)}]},
        }
        for i in range(20_000)
    ],
    "meta": {"count": 20_000, "text": "é\u2603" * 100},
}
text = json.dumps(obj, sort_keys=True)
back = json.loads(text)
assert back == obj
report("json", (len(text), hashlib.sha256(text.encode()).hexdigest()))


# A thread pool: threads allocate, free each other's objects, exit.
def work(k):
    r = random.Random(k)
    data = [r.random() for _ in range(20_000)]
    data.sort()
    table = {str(i): [i] * (i % 9) for i in range(3_000)}
    blob = json.dumps(table)
    return k, round(sum(data[:100]), 9), len(blob), hashlib.sha1(blob.encode()).hexdigest()


with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
    results = list(pool.map(work, range(32)))
report("threads", results)

print("digest:", digest.hexdigest())
