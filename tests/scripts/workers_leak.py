"""Result depends on the worker count: each task adds the pool size into its result."""
import multiprocessing

if __name__ == "__main__":
    with multiprocessing.get_context("fork").Pool() as pool:
        n = pool._processes
        print(sum(pool.map(abs, range(10))) + n)
