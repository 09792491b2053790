// taskfarm: the coordinator and the user's command line.

#include "cli/taskfarm_main.h"

int main(int argc, char** argv) { return taskfarm::TaskfarmMain(argc, argv, taskfarm::TaskfarmProgram()); }
