# A process for the live tool to read: threads that allocate and free
# (every object through malloc: run with PYTHONMALLOC=malloc) until killed;
# "ready PID" on stdout once they run. With "fork", a child (no exec) that
# sleeps, and its pid on stdout as "child PID".
import os, sys, threading, time

stop = False

def work(seed):
    keep = []
    n = 0
    while not stop:
        keep.append(bytes(64 + (n * seed) % 900))
        n += 1
        if len(keep) > 5000:
            del keep[: 2500]

threads = [threading.Thread(target=work, args=(i + 1,), daemon=True) for i in range(3)]
for t in threads:
    t.start()
if "fork" in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    print(f"child {pid}", flush=True)
print(f"ready {os.getpid()}", flush=True)
time.sleep(120)
