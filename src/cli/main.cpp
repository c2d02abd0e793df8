// The polydb executable. Everything happens in polydb::cli::run() so that the
// commands live in the polydb_cli library, next to their helpers.

#include "cli/commands.hpp"

int main(int argc, char** argv) { return polydb::cli::run(argc, argv); }
