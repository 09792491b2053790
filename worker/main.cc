// taskfarm-worker: one process of the pool. The coordinator starts it; users do not.

#include "worker/worker_main.h"

int main(int argc, char** argv) { return taskfarm::WorkerMain(argc, argv); }
