#pragma once
// The one place where PETSc/SLEPc version differences are absorbed. No other file tests
// PETSC_VERSION_*.
#include <petscsys.h>
#include <petscversion.h>

#if PETSC_VERSION_LT(3, 19, 0)
#ifndef PETSC_SUCCESS
#define PETSC_SUCCESS ((PetscErrorCode)0)
#endif
#endif
