/* The MPI side of `collectives --mpi`: MPI_Allreduce (float, sum, in place) over the same sizes, iteration counts,
 * warm-up and best-of-N timing as the .NET worker, the slowest rank's time per call. Prints "bytes seconds" per size
 * on rank 0. Usage: mpi_allreduce MAX_BYTES REPEATS */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    long max_bytes = argc > 1 ? atol(argv[1]) : 64L << 20;
    int repeats = argc > 2 ? atoi(argv[2]) : 5;
    static const long sizes[] = {1L << 10, 4L << 10, 16L << 10, 64L << 10, 256L << 10, 1L << 20, 4L << 20, 16L << 20, 64L << 20};
    float *buffer = calloc((size_t)(max_bytes / 4), sizeof(float));
    if (buffer == NULL)
    {
        fprintf(stderr, "rank %d: cannot allocate %ld bytes\n", rank, max_bytes);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }

    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0] && sizes[s] <= max_bytes; s++)
    {
        long bytes = sizes[s];
        int count = (int)(bytes / 4);
        long iterations = (256L << 20) / bytes;
        iterations = iterations < 10 ? 10 : iterations > 2000 ? 2000 : iterations;
        long warmup = iterations / 10 > 5 ? iterations / 10 : 5;
        for (long i = 0; i < warmup; i++)
        {
            MPI_Allreduce(MPI_IN_PLACE, buffer, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        }

        double best = 1e300;
        for (int r = 0; r < repeats; r++)
        {
            MPI_Barrier(MPI_COMM_WORLD);
            double start = MPI_Wtime();
            for (long i = 0; i < iterations; i++)
            {
                MPI_Allreduce(MPI_IN_PLACE, buffer, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            }

            double mine = (MPI_Wtime() - start) / (double)iterations, slowest;
            MPI_Allreduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
            best = slowest < best ? slowest : best;
        }

        if (rank == 0)
        {
            printf("%ld %.9e\n", bytes, best);
            fflush(stdout);
        }
    }

    free(buffer);
    MPI_Finalize();
    return 0;
}
