/* map_internal.h -- pieces of src/map/ shared between its files and its
 * unit tests; not part of the public API. */
#ifndef EMB_MAP_INTERNAL_H
#define EMB_MAP_INTERNAL_H

#include <stdint.h>

#include "emb/map.h"

/* Cyclic Jacobi eigensolver for the symmetric a: (m, m) row-major
 * (destroyed). w: (m) eigenvalues, unsorted; v: (m, m) with the matching
 * eigenvectors as columns. */
void emb__jacobi_eig(int m, double *a, double *w, double *v);

#endif
