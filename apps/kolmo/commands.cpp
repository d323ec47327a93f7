#include "commands.hpp"

#include "core/error.hpp"

namespace kolmo::app {

const std::string& positional(const CommandLine& line, std::size_t index, const char* what) {
  if (line.positional.size() <= index)
    throw InputError("kolmo " + line.command + ": missing argument: " + what + "; see 'kolmo " +
                     line.command + " --help'");
  return line.positional[index];
}

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"check", "validate a case file and print what it describes",
       "usage: kolmo check CASE.yaml\n\n"
       "Reads and validates the case file (every key, range and referenced file), builds the\n"
       "problem (to check its output names and its grid against the ranks) and configures its\n"
       "solver, without solving anything, and prints a summary. Errors name the file, line,\n"
       "column and key; solver.petsc options PETSc did not read are listed as a note.\n",
       run_check},
      {"solve", "one truth solve at a parameter point",
       "usage: [mpiexec -n P] kolmo solve CASE.yaml --mu a,b,... [--output FIELD.h5] [--json FILE]\n\n"
       "Solves the full-order problem at mu (values in the order of the case file's parameters),\n"
       "prints the outputs and solver statistics, and writes the field to FIELD.h5 with an XDMF\n"
       "sidecar for ParaView (default: NAME_solution.h5 in the current directory).\n"
       "Solver options: -truth_ksp_type, -truth_pc_type, -truth_ksp_monitor, ...\n",
       run_solve},
      {"snapshots", "truth solves over the training sample into an HDF5 snapshot file",
       "usage: [mpiexec -n P] kolmo snapshots CASE.yaml [--quiet] [--restart] [--json FILE]\n\n"
       "Solves at every point of the case file's training sample and stores the fields, outputs and\n"
       "solver statistics in snapshots.file. Resumable: run it again after an interruption and it\n"
       "skips what is complete. --restart deletes the file first.\n",
       run_snapshots},
      {"offline", "build a certified reduced model (POD or greedy) into rom.model",
       "usage: [mpiexec -n P] kolmo offline CASE.yaml [--method pod|greedy]\n"
       "                    [--pod-method qr|snapshots|incremental] [--batch B]\n"
       "                    [--stability rigorous|sampled] [--restart] [--quiet] [--json FILE]\n\n"
       "Builds the reduced model of the case: with rom.method pod, computes the missing training\n"
       "snapshots (as 'kolmo snapshots', resumable; --restart recomputes them) and their POD in the\n"
       "inner product X, truncated at the energy tolerance rom.tolerance or rom.max_size modes\n"
       "(--pod-method: 'qr' accurate to machine precision, 'snapshots' the method of snapshots,\n"
       "accurate only above sqrt(eps) sigma_1, 'incremental' in batches of B snapshots for sets that\n"
       "do not fit in memory); with greedy, runs the weak greedy over the training sample until the\n"
       "error bound relative to ||u_N||_X is below rom.tolerance or N = rom.max_size. Then projects\n"
       "every affine term, computes the error-estimator data (classical and stable) and the\n"
       "stability lower bound, and writes everything with the basis to rom.model.\n"
       "Stability: min-theta (parametrically coercive) or the exact inf-sup bound (Helmholtz);\n"
       "other coercive problems the successive constraint method (rigorous); --stability sampled\n"
       "replaces it by a NON-RIGOROUS bound (0.9 x the minimum of the coercivity constant over the\n"
       "training sample).\n",
       run_offline},
      {"validate", "check a reduced model against truth solves on the test sample",
       "usage: [mpiexec -n P] kolmo validate CASE.yaml [--model MODEL.h5] [--sizes 1:30|1,5,10]\n"
       "                    [--json FILE] [--plot FILE.png] [--reference-solver direct|case]\n\n"
       "Solves the truth problem at every test point and reports, per basis size N, the max and\n"
       "mean true error ||u - V u_N||_X (relative to ||u||_X), the max error bound of each residual\n"
       "evaluation with its effectivity (bound / error) min and max, and online timings in\n"
       "microseconds. Writes NAME_validation.json and NAME_validation.png (gnuplot) next to the\n"
       "case file. The truth is a direct MUMPS solve below 200,000 unknowns (--reference-solver\n"
       "case uses the case's solver). A bound of the model's estimator below the true error (by\n"
       "more than 1e-10 ||u||_X) is reported as FAILURE and the exit status is 1.\n",
       run_validate},
      {"online", "evaluate a reduced model: outputs with certified bounds, in microseconds",
       "usage: kolmo online MODEL.h5 (--mu a,b,... | --mu-file FILE.csv) [--size N]\n"
       "                    [--estimator classical|stable] [--threads T] [--json FILE] [--csv FILE]\n"
       "                    [--field FIELD.h5] [--surrogate]\n\n"
       "Evaluates the reduced model at mu (values in the order of the model's parameters, or the\n"
       "named form mu2=0.5,mu1=0.1) or at every row of a CSV file whose header names the\n"
       "parameters, and prints the outputs with their bounds, the error bound ||u - u_N||_X <=\n"
       "Delta_N, and the time per query. --size uses the first N basis vectors (default: all);\n"
       "--estimator overrides the model's evaluation of the residual norm; --threads evaluates a\n"
       "--mu-file on T threads (0: all cores); --json/--csv write the results. Needs neither MPI\n"
       "nor PETSc, except --field, which writes V u_N (from the model's /basis) to FIELD.h5 with an\n"
       "XDMF sidecar for ParaView. --surrogate also evaluates the model's Chebyshev-Tucker\n"
       "surrogates of the outputs (case key rom.surrogate) and prints their recorded deviation\n"
       "from the reduced outputs.\n",
       run_online},
      {"tensor", "a function or a particle potential in Chebyshev-Tucker form (HDF5 + XDMF)",
       "usage: [mpiexec -n P] kolmo tensor CASE.yaml [--json FILE]\n\n"
       "Builds the Chebyshev-Tucker tensor of a function (function: expression, box, d = 2..6) or\n"
       "the range-separated Newton potential of a particle file (particles: file of x, y, z, q;\n"
       "short range by cutoff, long range in Chebyshev-Tucker form), to the case's tolerance.\n"
       "Checks it against the function / direct summation at random points and writes core and\n"
       "factors to output.file, with the values on output.grid and an XDMF sidecar (d <= 3).\n"
       "Every rank builds the same tensor; the grid is expanded and written in slabs, one per rank.\n"
       "See docs/tensor.md.\n",
       run_tensor},
      {"info", "describe an HDF5 file written by Kolmo",
       "usage: kolmo info FILE.h5 [--json FILE]\n", run_info},
      {"sweep", "evaluate outputs over a sample, split over groups of ranks or job-array shards",
       "usage: [mpiexec -n P] kolmo sweep CASE.yaml [--groups G] [--shard i/n] [--output FILE.h5]\n"
       "                                      [--quiet] [--json FILE]\n\n"
       "Evaluates the truth outputs at every point of sweep.sample (default: the test sample).\n"
       "--groups G splits the P ranks into G groups that solve different points at the same time.\n"
       "--shard i/n takes every n-th point starting at i (0 <= i < n), for scheduler job arrays;\n"
       "join the shard files with 'kolmo merge'. Results do not depend on how the work is split.\n",
       run_sweep},
      {"merge", "join sweep shard files into one",
       "usage: kolmo merge OUTPUT.h5 SHARD.h5 [SHARD.h5 ...]\n\n"
       "Checks that the shards come from the same study and together cover its sample exactly once.\n",
       run_merge},
      {"demo", "the thermal-block study end to end, with a short summary",
       "usage: [mpiexec -n P] kolmo demo CASE.yaml [--quiet] [--restart]\n\n"
       "Checks the case, computes the training snapshots (resumable), runs a sweep over the test\n"
       "sample and prints a summary of outputs, iterations and timings.\n",
       run_demo},
      {"train-pc", "fit a learned preconditioner from the snapshots and compare CG iterations",
       "usage: [mpiexec -n P] kolmo train-pc CASE.yaml [--model learned_ic] [--output MODEL.h5]\n"
       "                       [--held-out K] [--max-train N] [--iterations I] [--json FILE]\n\n"
       "Fits the learned preconditioner model (default learned_ic, an incomplete Cholesky factor\n"
       "steered by a small model of local matrix features) to the first N (default 16) complete\n"
       "snapshots of the case's snapshot file, with the matrices assembled by the problem, and\n"
       "writes it to MODEL.h5 (default <name>_pc.h5). Reports CG iterations to rtol 1e-8 on the\n"
       "last K (default 4) snapshots before (starting weights, IC(0)) and after the fit. Use the\n"
       "model in kolmo commands with\n"
       "-truth_pc_type kolmo_learned -truth_pc_kolmo_learned_file MODEL.h5.\n",
       run_train_pc},
  };
  return table;
}

}  // namespace kolmo::app
