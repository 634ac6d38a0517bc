/*
 * Two small numeric kernels of a Mesa-v0 step, each one loop in C instead of several numpy calls.
 *
 * On a digits step these are a few microseconds of arithmetic that numpy spends ~20 us each on
 * (a call per operation over ~1,000 values). Both compute exactly what the numpy code they
 * replace computes (the tests compare them bit for bit), so they change no result:
 *
 * split_histograms: the meta-state's error histograms (paper Eqs. 1-2, mesa_env.state). An
 *   error's bin is the number of inner edges i/b (each the double i / b, as Python computes it)
 *   that are <= the error, so an error of 1 or more lands in the last bin; each half's counts
 *   are divided by its size in float64 and rounded to float32, as numpy's true division and
 *   astype(np.float32) do.
 *
 * gaussian_gumbel_keys: the Gumbel-top-k keys of meta-sampling (Alg. 1, Eq. 3,
 *   mesa_env.sampling): z = (e - mu) / sigma, log g = (z * -0.5) * z, key = log g - noise, each
 *   an IEEE operation rounded as numpy rounds it (no fused multiply-add: built with
 *   -ffp-contract=off). The noise (logs of uniform draws) stays numpy's, whose log is its own.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The bin of error e: the number of inner edges (j + 1) / b, j = 0 .. b - 2, with edge <= e.
 * A guess from e * b, corrected against the edges themselves (e * b can round across one). */
static inline Py_ssize_t bin_of(double e, const double *edges, Py_ssize_t n_bins) {
    Py_ssize_t k;
    double guess = e * (double)n_bins;
    if (!(guess > 0.0)) /* also NaN: counted as 0 edges <= e, as the comparisons give */
        k = 0;
    else if (guess >= (double)(n_bins - 1))
        k = n_bins - 1;
    else
        k = (Py_ssize_t)guess;
    while (k > 0 && !(edges[k - 1] <= e)) k--;
    while (k < n_bins - 1 && edges[k] <= e) k++;
    return k;
}

/* Up to this many bins, count by one branch-free (vectorised) pass per inner edge, as the
 * numpy code does; beyond it, one pass finding each error's bin. */
#define COUNTING_MAX_BINS 16

/* x86-64 with GCC: an AVX2 copy of the counting loop beside the baseline one, picked at load
 * time by the CPU (as numpy picks its SIMD loops); comparisons are exact in either. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SIMD_CLONES
#endif

/* counts[k] = #errors in bin k, from #(e >= edge) per inner edge: bin k holds the errors with
 * exactly k edges <= e. */
SIMD_CLONES static void count_by_edges(const double *errors, Py_ssize_t n, const double *edges,
                           Py_ssize_t n_bins, Py_ssize_t *counts) {
    Py_ssize_t at_least_prev = n, j, i; /* #(e >= edge_-1): every error */
    for (j = 0; j < n_bins - 1; j++) {
        const double edge = edges[j];
        int64_t at_least = 0;
        for (i = 0; i < n; i++) at_least += (int64_t)(errors[i] >= edge);
        counts[j] = at_least_prev - at_least;
        at_least_prev = at_least;
    }
    counts[n_bins - 1] = at_least_prev;
}

PyDoc_STRVAR(split_histograms_doc,
             "split_histograms(errors, n_first, n_bins, out)\n\n"
             "Eq. 1 of errors[:n_first] then of errors[n_first:] into `out` (float32, 2 * "
             "n_bins):\nthe fraction of each half's errors in each bin. errors: C-contiguous "
             "float64.");

static PyObject *py_split_histograms(PyObject *self, PyObject *args) {
    PyObject *errors_obj, *out_obj;
    Py_ssize_t n_first, n_bins, n, i, j;
    Py_buffer errors_view, out_view;
    if (!PyArg_ParseTuple(args, "OnnO", &errors_obj, &n_first, &n_bins, &out_obj)) return NULL;
    if (PyObject_GetBuffer(errors_obj, &errors_view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0)
        return NULL;
    if (PyObject_GetBuffer(out_obj, &out_view,
                           PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) != 0) {
        PyBuffer_Release(&errors_view);
        return NULL;
    }
    n = errors_view.len / (Py_ssize_t)sizeof(double);
    if (errors_view.itemsize != sizeof(double) || errors_view.format == NULL ||
        strcmp(errors_view.format, "d") != 0 || out_view.itemsize != sizeof(float) ||
        out_view.format == NULL || strcmp(out_view.format, "f") != 0) {
        PyErr_SetString(PyExc_TypeError,
                        "split_histograms: errors must be float64 and out float32 arrays");
        goto fail;
    }
    if (n_bins < 1 || n_first < 1 || n_first >= n || out_view.len < 2 * n_bins * 4) {
        PyErr_Format(PyExc_ValueError,
                     "split_histograms: need 1 <= n_first < %zd errors, n_bins >= 1 and an "
                     "output of 2 * n_bins values; got n_first=%zd, n_bins=%zd",
                     n, n_first, n_bins);
        goto fail;
    }
    {
        const double *errors = errors_view.buf;
        float *out = out_view.buf;
        double *edges = malloc(sizeof(double) * (size_t)n_bins);
        Py_ssize_t *counts = calloc((size_t)(2 * n_bins), sizeof(Py_ssize_t));
        if (edges == NULL || counts == NULL) {
            free(edges);
            free(counts);
            PyErr_NoMemory();
            goto fail;
        }
        for (j = 0; j < n_bins - 1; j++) edges[j] = (double)(j + 1) / (double)n_bins;
        if (n_bins <= COUNTING_MAX_BINS) {
            count_by_edges(errors, n_first, edges, n_bins, counts);
            count_by_edges(errors + n_first, n - n_first, edges, n_bins, counts + n_bins);
        } else {
            for (i = 0; i < n_first; i++) counts[bin_of(errors[i], edges, n_bins)]++;
            for (i = n_first; i < n; i++) counts[n_bins + bin_of(errors[i], edges, n_bins)]++;
        }
        for (j = 0; j < n_bins; j++) {
            out[j] = (float)((double)counts[j] / (double)n_first);
            out[n_bins + j] = (float)((double)counts[n_bins + j] / (double)(n - n_first));
        }
        free(edges);
        free(counts);
    }
    PyBuffer_Release(&errors_view);
    PyBuffer_Release(&out_view);
    Py_RETURN_NONE;
fail:
    PyBuffer_Release(&errors_view);
    PyBuffer_Release(&out_view);
    return NULL;
}

PyDoc_STRVAR(gaussian_gumbel_keys_doc,
             "gaussian_gumbel_keys(errors, mu, sigma, noise, out)\n\n"
             "out = ((errors - mu) / sigma * -0.5) * ((errors - mu) / sigma) - noise, element-"
             "wise\nwith numpy's roundings; all float64, C-contiguous, of one length.");

static PyObject *py_gaussian_gumbel_keys(PyObject *self, PyObject *args) {
    PyObject *errors_obj, *noise_obj, *out_obj;
    double mu, sigma;
    Py_buffer views[3];
    int n_views = 0, ok = 1;
    if (!PyArg_ParseTuple(args, "OddOO", &errors_obj, &mu, &sigma, &noise_obj, &out_obj))
        return NULL;
    PyObject *objects[3] = {errors_obj, noise_obj, out_obj};
    for (; n_views < 3; n_views++) {
        int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (n_views == 2 ? PyBUF_WRITABLE : 0);
        if (PyObject_GetBuffer(objects[n_views], &views[n_views], flags) != 0) {
            ok = 0;
            break;
        }
        if (views[n_views].itemsize != sizeof(double) || views[n_views].format == NULL ||
            strcmp(views[n_views].format, "d") != 0 || views[n_views].len != views[0].len) {
            PyErr_SetString(PyExc_TypeError,
                            "gaussian_gumbel_keys: errors, noise and out must be float64 arrays "
                            "of one length");
            n_views++;
            ok = 0;
            break;
        }
    }
    if (ok) {
        const double *errors = views[0].buf, *noise = views[1].buf;
        double *out = views[2].buf;
        Py_ssize_t n = views[0].len / (Py_ssize_t)sizeof(double), i;
        for (i = 0; i < n; i++) {
            double z = errors[i] - mu;
            z /= sigma;
            double log_weight = z * -0.5;
            log_weight *= z;
            out[i] = log_weight - noise[i];
        }
    }
    for (int v = 0; v < n_views; v++) PyBuffer_Release(&views[v]);
    if (!ok) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"split_histograms", py_split_histograms, METH_VARARGS, split_histograms_doc},
    {"gaussian_gumbel_keys", py_gaussian_gumbel_keys, METH_VARARGS, gaussian_gumbel_keys_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_step_kernels",
    "Meta-sampling keys and the meta-state's histograms, one loop each (see the C file).", -1,
    methods,
};

PyMODINIT_FUNC PyInit__step_kernels(void) { return PyModule_Create(&module); }
