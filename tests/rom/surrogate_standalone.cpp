// surrogate_standalone: the online evaluation of an output surrogate needs neither PETSc nor MPI
// (nor src/tensor and its FFTW). Linked to Kolmo::online only, with its own main, it builds a
// Chebyshev-Tucker surrogate with a known value, f(x, y) = 0.5 + 3 T_2(t_x) T_1(t_y) - T_1(t_x)
// on x in [0, 2] (linear) and y in [1, e^2] (log scale, t_y = ln y - 1), writes it to HDF5, reads
// it back, checks the values against the closed form, the range check, and that MPI was never
// initialised.
#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <exception>
#include <string>

#include "core/exceptions.hpp"
#include "core/hdf5_file.hpp"
#include "rom/online/chebyshev_tucker_surrogate.hpp"

int main(int argc, char** argv) {
  using namespace kolmo;
  const std::string path = argc > 1 ? argv[1] : "surrogate_standalone.h5";
  int failures = 0;
  const auto check = [&](bool ok, const char* what) {
    if (!ok) {
      ++failures;
      std::printf("FAILED: %s\n", what);
    }
  };
  try {
    const ParameterSpace space({{"x", 0.0, 2.0, Scale::linear}, {"y", 1.0, std::exp(2.0), Scale::log}});
    // Mode 0: columns T_0, T_1, T_2 (3 nodes); mode 1: T_0, T_1 (2 nodes).
    Eigen::MatrixXd f0 = Eigen::MatrixXd::Identity(3, 3), f1 = Eigen::MatrixXd::Identity(2, 2);
    Eigen::VectorXd core = Eigen::VectorXd::Zero(6);  // G(j0, j1) at j0 + 3 j1
    core[0] = 0.5;        // T_0 T_0
    core[1] = -1.0;       // T_1(t_x) T_0
    core[2 + 3] = 3.0;    // T_2(t_x) T_1(t_y)
    rom::SurrogateAccuracy accuracy;
    accuracy.tolerance = 1e-8;
    accuracy.check_error = 1.5e-12;
    accuracy.check_points = 10;
    const rom::ChebyshevTuckerSurrogate s("out", space, {f0, f1}, core, accuracy);
    {
      h5::File file = h5::File::create_serial(path, true);
      rom::write_output_surrogates(file, {s});
      file.close();
    }
    const auto read = rom::read_output_surrogates(path);
    check(read.size() == 1 && read[0].output_name() == "out", "one surrogate named 'out'");
    check(read[0].accuracy().check_error == 1.5e-12, "the recorded check error");
    double worst = 0.0;
    for (int i = 0; i <= 20; ++i)
      for (int j = 0; j <= 20; ++j) {
        const double x = 0.1 * i, y = std::exp(0.1 * j);
        const double tx = x - 1.0, ty = std::log(y) - 1.0;
        const double exact = 0.5 + 3.0 * (2 * tx * tx - 1) * ty - tx;
        worst = std::max(worst, std::abs(read[0].evaluate({x, std::min(y, std::exp(2.0))}) - exact));
      }
    std::printf("max |surrogate - exact| = %.3e\n", worst);
    check(worst <= 1e-13, "values of the closed form");
    bool refused = false;
    try {
      read[0].evaluate({2.5, 2.0}, "--mu");
    } catch (const InputError& e) {
      refused = std::string(e.what()).find("outside") != std::string::npos;
    }
    check(refused, "a point outside the box is refused");
  } catch (const std::exception& e) {
    std::printf("FAILED: exception: %s\n", e.what());
    return 1;
  }
  int initialized = 1;
  MPI_Initialized(&initialized);
  check(initialized == 0, "MPI was never initialised");
  std::remove(path.c_str());
  std::printf("%s\n", failures ? "surrogate_standalone: FAILED" : "surrogate_standalone: ok");
  return failures ? 1 : 0;
}
