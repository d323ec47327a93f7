#pragma once
/// @file
/// Move-only owning handles for PETSc and SLEPc objects.
#include <petscdm.h>
#include <petscksp.h>
#include <petscmat.h>
#include <petscvec.h>
#include <petscviewer.h>
#include <slepceps.h>
#include <slepcsvd.h>
#include <slepcbv.h>

#include <utility>

#include "core/error.hpp"

namespace kolmo {

/// Owns one reference to a PETSc object of type T and destroys it with Destroy.
///
/// Create objects through out(): `VecHandle v; KOLMO_PETSC_CALL(VecCreate(comm, v.out()));`.
/// The handle converts implicitly to T, so it is passed to PETSc functions as it is. To share an
/// object created elsewhere, borrow() it (takes a reference of its own). Destruction is collective
/// on the object's communicator: handles must be destroyed in the same order on every rank and
/// before PetscFinalize. The destructor never throws.
template <class T, PetscErrorCode (*Destroy)(T*)>
class PetscHandle {
 public:
  PetscHandle() = default;
  /// Take ownership of `object` (does not add a reference).
  explicit PetscHandle(T object) noexcept : object_(object) {}
  PetscHandle(const PetscHandle&) = delete;
  PetscHandle& operator=(const PetscHandle&) = delete;
  PetscHandle(PetscHandle&& other) noexcept : object_(std::exchange(other.object_, nullptr)) {}
  PetscHandle& operator=(PetscHandle&& other) noexcept {
    if (this != &other) {
      reset();
      object_ = std::exchange(other.object_, nullptr);
    }
    return *this;
  }
  ~PetscHandle() { reset(); }

  /// Share `object`, owned elsewhere: adds a PETSc reference that this handle releases.
  static PetscHandle borrow(T object) {
    if (object) KOLMO_PETSC_CALL(PetscObjectReference(reinterpret_cast<PetscObject>(object)));
    return PetscHandle(object);
  }

  /// Destroy the held object (if any) and return the address to create a new one into.
  T* out() noexcept {
    reset();
    return &object_;
  }
  T get() const noexcept { return object_; }
  operator T() const noexcept { return object_; }  // NOLINT: implicit by design, for PETSc calls
  explicit operator bool() const noexcept { return object_ != nullptr; }
  /// Give up ownership without destroying; the caller now owns the reference.
  T release() noexcept { return std::exchange(object_, nullptr); }
  /// Destroy the held object now (collective on its communicator).
  void reset() noexcept {
    if (object_) {
      Destroy(&object_);  // errors are ignored: a destructor must not throw
      object_ = nullptr;
    }
  }

 private:
  T object_ = nullptr;
};

using VecHandle = PetscHandle<Vec, VecDestroy>;
using MatHandle = PetscHandle<Mat, MatDestroy>;
using KSPHandle = PetscHandle<KSP, KSPDestroy>;
using PCHandle = PetscHandle<PC, PCDestroy>;
using DMHandle = PetscHandle<DM, DMDestroy>;
using ISHandle = PetscHandle<IS, ISDestroy>;
using VecScatterHandle = PetscHandle<VecScatter, VecScatterDestroy>;
using ViewerHandle = PetscHandle<PetscViewer, PetscViewerDestroy>;
using EPSHandle = PetscHandle<EPS, EPSDestroy>;
using SVDHandle = PetscHandle<SVD, SVDDestroy>;
using BVHandle = PetscHandle<BV, BVDestroy>;

/// The communicator of any PETSc object.
template <class T>
MPI_Comm object_comm(T object) {
  return PetscObjectComm(reinterpret_cast<PetscObject>(object));
}

}  // namespace kolmo
