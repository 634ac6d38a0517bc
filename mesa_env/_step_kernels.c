/*
 * Small numeric kernels of a Mesa-v0 step, each one loop in C instead of several numpy calls.
 *
 * On a digits step these are a few microseconds of arithmetic that numpy spends ~5-20 us each
 * on (a call per operation over ~1,000 values). Each computes exactly what the numpy code it
 * replaces computes (the tests compare them bit for bit), so they change no result. Loops that
 * run over whole splits have an AVX2 clone picked at load time on x86-64 with GCC:
 *
 * split_histograms: the meta-state's error histograms (paper Eqs. 1-2, mesa_env.state). An
 *   error's bin is the number of inner edges i/b (each the double i / b, as Python computes it)
 *   that are <= the error, so an error of 1 or more lands in the last bin; each half's counts
 *   are divided by its size in float64 and rounded to float32, as numpy's true division and
 *   astype(np.float32) do.
 *
 * label_error_histograms: the same, of the errors |F(x) - y| computed on the fly from the
 *   ensemble's probabilities and the labels (numpy's subtract and absolute, not stored).
 *
 * running_mean_add: the ensemble's running mean (mesa_env.ensemble): total += p, then
 *   mean = total / t, one pass instead of two.
 *
 * gaussian_gumbel_keys: the Gumbel-top-k keys of meta-sampling (Alg. 1, Eq. 3,
 *   mesa_env.sampling): z = (e - mu) / sigma, log g = (z * -0.5) * z, key = log g - noise, each
 *   an IEEE operation rounded as numpy rounds it (no fused multiply-add: built with
 *   -ffp-contract=off). The noise (logs of uniform draws) stays numpy's, whose log is its own.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
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

/* count_by_edges of the errors |proba[i] - labels[i]|, computed as numpy's subtract then
 * absolute computes them, without storing them. */
SIMD_CLONES static void count_errors_by_edges(const double *proba, const double *labels,
                                              Py_ssize_t n, const double *edges,
                                              Py_ssize_t n_bins, Py_ssize_t *counts) {
    Py_ssize_t at_least_prev = n, j, i;
    for (j = 0; j < n_bins - 1; j++) {
        const double edge = edges[j];
        int64_t at_least = 0;
        for (i = 0; i < n; i++) at_least += (int64_t)(fabs(proba[i] - labels[i]) >= edge);
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

/* Buffer `obj` as C-contiguous float64 (writable if asked); a TypeError naming `what` if not. */
static int float64_buffer(PyObject *obj, Py_buffer *view, int writable, const char *what) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) != 0) return -1;
    if (view->itemsize != sizeof(double) || view->format == NULL ||
        strcmp(view->format, "d") != 0) {
        PyErr_Format(PyExc_TypeError, "%s must be a C-contiguous float64 array", what);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* The histograms of errors[:n_first] and errors[n_first:n] (errors given, or |proba - labels|
 * over the first len(labels) values of proba) into out: shared by both Python functions. */
static PyObject *histograms(PyObject *errors_obj, PyObject *labels_obj, Py_ssize_t n_first,
                            Py_ssize_t n_bins, PyObject *out_obj) {
    Py_buffer errors_view, labels_view, out_view;
    Py_ssize_t n, i, j;
    int have_labels = labels_obj != NULL, ok = 0;
    if (float64_buffer(errors_obj, &errors_view, 0, have_labels ? "proba" : "errors") != 0)
        return NULL;
    if (have_labels && float64_buffer(labels_obj, &labels_view, 0, "labels") != 0) {
        PyBuffer_Release(&errors_view);
        return NULL;
    }
    if (PyObject_GetBuffer(out_obj, &out_view,
                           PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) != 0)
        goto release;
    if (out_view.itemsize != sizeof(float) || out_view.format == NULL ||
        strcmp(out_view.format, "f") != 0) {
        PyErr_SetString(PyExc_TypeError, "out must be a C-contiguous float32 array");
        PyBuffer_Release(&out_view);
        goto release;
    }
    n = (have_labels ? labels_view.len : errors_view.len) / (Py_ssize_t)sizeof(double);
    if (n_bins < 1 || n_first < 1 || n_first >= n || out_view.len < 2 * n_bins * 4 ||
        (have_labels && errors_view.len < labels_view.len)) {
        PyErr_Format(PyExc_ValueError,
                     "need 1 <= n_first < %zd errors (proba at least as long as labels), "
                     "n_bins >= 1 and an output of 2 * n_bins values; got n_first=%zd, "
                     "n_bins=%zd",
                     n, n_first, n_bins);
        PyBuffer_Release(&out_view);
        goto release;
    }
    {
        const double *errors = errors_view.buf;
        const double *labels = have_labels ? labels_view.buf : NULL;
        float *out = out_view.buf;
        double *edges = malloc(sizeof(double) * (size_t)n_bins);
        Py_ssize_t *counts = calloc((size_t)(2 * n_bins), sizeof(Py_ssize_t));
        if (edges == NULL || counts == NULL) {
            free(edges);
            free(counts);
            PyErr_NoMemory();
            PyBuffer_Release(&out_view);
            goto release;
        }
        for (j = 0; j < n_bins - 1; j++) edges[j] = (double)(j + 1) / (double)n_bins;
        if (have_labels && n_bins <= COUNTING_MAX_BINS) {
            count_errors_by_edges(errors, labels, n_first, edges, n_bins, counts);
            count_errors_by_edges(errors + n_first, labels + n_first, n - n_first, edges, n_bins,
                                  counts + n_bins);
        } else if (have_labels) {
            for (i = 0; i < n; i++)
                counts[(i < n_first ? 0 : n_bins) +
                       bin_of(fabs(errors[i] - labels[i]), edges, n_bins)]++;
        } else if (n_bins <= COUNTING_MAX_BINS) {
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
        ok = 1;
    }
    PyBuffer_Release(&out_view);
release:
    PyBuffer_Release(&errors_view);
    if (have_labels) PyBuffer_Release(&labels_view);
    if (!ok) return NULL;
    Py_RETURN_NONE;
}

static PyObject *py_split_histograms(PyObject *self, PyObject *args) {
    PyObject *errors_obj, *out_obj;
    Py_ssize_t n_first, n_bins;
    if (!PyArg_ParseTuple(args, "OnnO", &errors_obj, &n_first, &n_bins, &out_obj)) return NULL;
    return histograms(errors_obj, NULL, n_first, n_bins, out_obj);
}

PyDoc_STRVAR(label_error_histograms_doc,
             "label_error_histograms(proba, labels, n_first, n_bins, out)\n\n"
             "split_histograms of the errors |proba[i] - labels[i]|, i < len(labels), computed "
             "on the fly\n(proba may be longer). proba, labels: float64; out: float32.");

static PyObject *py_label_error_histograms(PyObject *self, PyObject *args) {
    PyObject *proba_obj, *labels_obj, *out_obj;
    Py_ssize_t n_first, n_bins;
    if (!PyArg_ParseTuple(args, "OOnnO", &proba_obj, &labels_obj, &n_first, &n_bins, &out_obj))
        return NULL;
    return histograms(proba_obj, labels_obj, n_first, n_bins, out_obj);
}

PyDoc_STRVAR(running_mean_add_doc,
             "running_mean_add(total, positive, count, mean)\n\n"
             "total += positive; mean = total / count: numpy's two passes in one (float64).");

static PyObject *py_running_mean_add(PyObject *self, PyObject *args) {
    PyObject *total_obj, *positive_obj, *mean_obj;
    Py_ssize_t count, i, n;
    Py_buffer total, positive, mean;
    if (!PyArg_ParseTuple(args, "OOnO", &total_obj, &positive_obj, &count, &mean_obj))
        return NULL;
    if (float64_buffer(total_obj, &total, 1, "total") != 0) return NULL;
    /* positive may be a strided column (predict_proba(X)[:, 1]): read it with its stride */
    if (PyObject_GetBuffer(positive_obj, &positive, PyBUF_RECORDS_RO) != 0) {
        PyBuffer_Release(&total);
        return NULL;
    }
    if (positive.ndim != 1 || positive.itemsize != sizeof(double) || positive.format == NULL ||
        strcmp(positive.format, "d") != 0 || positive.strides[0] % (Py_ssize_t)sizeof(double)) {
        PyErr_SetString(PyExc_TypeError, "positive must be a 1-d float64 array");
        PyBuffer_Release(&total);
        PyBuffer_Release(&positive);
        return NULL;
    }
    if (float64_buffer(mean_obj, &mean, 1, "mean") != 0) {
        PyBuffer_Release(&total);
        PyBuffer_Release(&positive);
        return NULL;
    }
    n = total.len / (Py_ssize_t)sizeof(double);
    if (positive.shape[0] != n || mean.len != total.len || count < 1) {
        PyErr_SetString(PyExc_ValueError,
                        "running_mean_add: total, positive and mean of one length, count >= 1");
    } else {
        double *t = total.buf, *m = mean.buf;
        const double *p = positive.buf, c = (double)count;
        Py_ssize_t step = positive.strides[0] / (Py_ssize_t)sizeof(double);
        for (i = 0; i < n; i++) {
            t[i] += p[i * step];
            m[i] = t[i] / c;
        }
    }
    PyBuffer_Release(&total);
    PyBuffer_Release(&positive);
    PyBuffer_Release(&mean);
    if (PyErr_Occurred()) return NULL;
    Py_RETURN_NONE;
}

PyDoc_STRVAR(gaussian_gumbel_keys_doc,
             "gaussian_gumbel_keys(errors, mu, sigma, noise, out)\n\n"
             "out = ((errors - mu) / sigma * -0.5) * ((errors - mu) / sigma) - noise, element-"
             "wise\nwith numpy's roundings; all float64, C-contiguous, of one length.");

SIMD_CLONES static void keys(const double *errors, double mu, double sigma, const double *noise,
                             double *out, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++) {
        double z = errors[i] - mu;
        z /= sigma;
        double log_weight = z * -0.5;
        log_weight *= z;
        out[i] = log_weight - noise[i];
    }
}

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
    if (ok)
        keys(views[0].buf, mu, sigma, views[1].buf, views[2].buf,
             views[0].len / (Py_ssize_t)sizeof(double));
    for (int v = 0; v < n_views; v++) PyBuffer_Release(&views[v]);
    if (!ok) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"split_histograms", py_split_histograms, METH_VARARGS, split_histograms_doc},
    {"label_error_histograms", py_label_error_histograms, METH_VARARGS,
     label_error_histograms_doc},
    {"gaussian_gumbel_keys", py_gaussian_gumbel_keys, METH_VARARGS, gaussian_gumbel_keys_doc},
    {"running_mean_add", py_running_mean_add, METH_VARARGS, running_mean_add_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_step_kernels",
    "Meta-sampling keys and the meta-state's histograms, one loop each (see the C file).", -1,
    methods,
};

PyMODINIT_FUNC PyInit__step_kernels(void) { return PyModule_Create(&module); }
