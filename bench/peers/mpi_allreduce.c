/*
 * MPI_Allreduce timed the way `tp bench allreduce` times numatp's: f32 sum in place; before each
 * call every rank refills its buffer from one of two patterns and the group passes a barrier;
 * each rank times its own call; a call's time is the slowest rank's; the figure is the median
 * (and p99) over the timed calls, after a tenth as many untimed ones.
 *
 *   mpicc -O2 -o mpi_allreduce mpi_allreduce.c
 *   mpirun -np 2 --bind-to core ./mpi_allreduce 4096 20000
 *
 * Prints: ranks bytes calls median_us p99_us
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (argc < 3) {
        if (rank == 0) fprintf(stderr, "usage: mpi_allreduce BYTES CALLS\n");
        MPI_Finalize();
        return 2;
    }
    long bytes = atol(argv[1]);
    int calls = atoi(argv[2]);
    int warmup = calls / 10 > 3 ? calls / 10 : 3;
    int total = warmup + calls;
    long count = bytes / 4;
    float *patterns[2], *work = aligned_alloc(64, (bytes + 63) / 64 * 64);
    for (int k = 0; k < 2; k++) {
        patterns[k] = aligned_alloc(64, (bytes + 63) / 64 * 64);
        for (long i = 0; i < count; i++) patterns[k][i] = (float) ((i * 31 + rank * 7 + k) % 1024) / 1024.0f;
    }
    double *mine = calloc(total, sizeof(double)), *slowest = calloc(total, sizeof(double));
    for (int it = 0; it < total; it++) {
        memcpy(work, patterns[it & 1], bytes);
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        MPI_Allreduce(MPI_IN_PLACE, work, (int) count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        mine[it] = MPI_Wtime() - t0;
    }
    MPI_Reduce(mine, slowest, total, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        qsort(slowest + warmup, calls, sizeof(double), cmp_double);
        double *t = slowest + warmup;
        double median = calls % 2 ? t[calls / 2] : (t[calls / 2 - 1] + t[calls / 2]) / 2;
        int p99 = (int) (calls * 0.99 + 0.999999) - 1;
        printf("%d %ld %d %.2f %.2f\n", size, bytes, calls, median * 1e6, t[p99 < calls ? p99 : calls - 1] * 1e6);
    }
    MPI_Finalize();
    return 0;
}
