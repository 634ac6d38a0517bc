/*
 * scikit-learn's depth-first, best-split classification tree builder, with presorted features.
 *
 * `DecisionTreeClassifier.fit` re-sorts every feature's values at every node (an introsort,
 * a third of a Mesa-v0 step's fit on a few hundred rows). This builder sorts each feature once
 * per fit and keeps every node's rows in sorted order by stable partitioning, so a node costs
 * O(n_node_samples x n_features) instead of O(n log n x n_features). Everything else is
 * scikit-learn's algorithm (sklearn/tree/_tree.pyx DepthFirstTreeBuilder.build, _splitter.pyx
 * node_split_best, _partitioner.pyx DensePartitioner.next_p, _criterion.pyx Gini / Entropy,
 * utils/_random.pxd our_rand_r) step for step: the same Fisher-Yates draws of features from
 * the same xorshift generator, the same constant-feature bookkeeping, the same candidate
 * positions (ties up to FEATURE_THRESHOLD, a float32 sum as in scikit-learn), the same
 * floating-point expressions in the same order, so the tree is the same to the byte.
 * mesa_env.tree_refit checks that against scikit-learn's own fit before using it, and falls
 * back to scikit-learn on any difference.
 *
 * Scope: dense, finite float32 rows (build_tree returns None for others: scikit-learn sends an
 * infinite value across a threshold by value, this builder by position), one output, unit sample weights, no monotonic
 * constraints, splitter "best", criterion "gini" or "entropy"/"log_loss", depth-first growth
 * (max_leaf_nodes=None). Class counts are exact integers in float64, so the order in which
 * rows are added to a child does not change any sum.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* sklearn/tree/_tree.pxd `Node`: the layout of NODE_DTYPE (checked from Python at import). */
typedef struct {
    Py_ssize_t left_child;
    Py_ssize_t right_child;
    Py_ssize_t feature;
    double threshold;
    double impurity;
    Py_ssize_t n_node_samples;
    double weighted_n_node_samples;
    unsigned char missing_go_to_left;
} Node;

#define TREE_LEAF (-1)
#define TREE_UNDEFINED (-2)
#define RAND_R_MAX 2147483647u
static const float FEATURE_THRESHOLD = 1e-7f; /* _partitioner.pxd: a float32 constant */

enum { CRITERION_GINI = 0, CRITERION_ENTROPY = 1 };

typedef struct {
    Py_ssize_t start, end, depth, parent;
    int is_left;
    double impurity;
    Py_ssize_t n_constant_features;
} StackRecord;

typedef struct {
    Py_ssize_t feature, pos;
    double threshold, improvement, impurity_left, impurity_right;
    unsigned char missing_go_to_left;
} SplitRecord;

/* utils/_random.pxd */
static inline uint32_t our_rand_r(uint32_t *seed) {
    if (*seed == 0) *seed = 1; /* DEFAULT_SEED */
    *seed ^= (uint32_t)(*seed << 13);
    *seed ^= (uint32_t)(*seed >> 17);
    *seed ^= (uint32_t)(*seed << 5);
    return *seed % (RAND_R_MAX + 1u);
}

static inline Py_ssize_t rand_int(Py_ssize_t low, Py_ssize_t high, uint32_t *seed) {
    return low + our_rand_r(seed) % (high - low);
}

typedef struct {
    /* problem */
    const float *X;
    const int32_t *y; /* encoded labels 0..n_classes-1 */
    Py_ssize_t n_samples, n_features, n_classes;
    int criterion;
    Py_ssize_t max_features, min_samples_leaf, min_samples_split, max_depth;
    double min_weight_leaf, min_impurity_decrease, weighted_n_samples;
    uint32_t rand_r_state;
    /* per feature f: the rows and their values, each node's rows a sorted segment */
    float *values;      /* n_features x n_samples */
    int32_t *rows;      /* n_features x n_samples */
    float *value_tmp;   /* n_samples: stable partition scratch */
    int32_t *row_tmp;   /* n_samples */
    int32_t *node_rows; /* n_samples: every node's rows as a segment, for its class counts */
    unsigned char *goes_left; /* n_samples, by row */
    unsigned char *skip_feature; /* n_features: not partitioned at this node */
    Py_ssize_t *features, *constant_features;
    double *sum_total, *sum_left, *sum_right; /* n_classes each */
    int64_t *class_scratch, *left_counts;      /* n_classes each */
} Builder;

/* sklearn/tree/_utils.pyx `log`: the base-2 logarithm, as ln(x) / ln(2). */
static inline double log2_sklearn(double x) { return log(x) / log(2.0); }

static double node_impurity(const Builder *b, const double *sum, double weighted_n) {
    Py_ssize_t c;
    if (b->criterion == CRITERION_GINI) {
        double sq_count = 0.0, gini = 0.0;
        for (c = 0; c < b->n_classes; c++) sq_count += sum[c] * sum[c];
        gini += 1.0 - sq_count / (weighted_n * weighted_n);
        return gini / 1.0; /* / n_outputs */
    } else {
        double entropy = 0.0, count_k;
        for (c = 0; c < b->n_classes; c++) {
            count_k = sum[c];
            if (count_k > 0.0) {
                count_k /= weighted_n;
                entropy -= count_k * log2_sklearn(count_k);
            }
        }
        return entropy / 1.0;
    }
}

/* Criterion.children_impurity: both children from sum_left / sum_right. */
static inline void children_impurity(const Builder *b, double wl, double wr, double *il,
                                     double *ir) {
    Py_ssize_t c;
    if (b->criterion == CRITERION_GINI) {
        double sql = 0.0, sqr = 0.0, gl = 0.0, gr = 0.0, count_k;
        for (c = 0; c < b->n_classes; c++) {
            count_k = b->sum_left[c];
            sql += count_k * count_k;
            count_k = b->sum_right[c];
            sqr += count_k * count_k;
        }
        gl += 1.0 - sql / (wl * wl);
        gr += 1.0 - sqr / (wr * wr);
        *il = gl / 1.0;
        *ir = gr / 1.0;
    } else {
        double el = 0.0, er = 0.0, count_k;
        for (c = 0; c < b->n_classes; c++) {
            count_k = b->sum_left[c];
            if (count_k > 0.0) {
                count_k /= wl;
                el -= count_k * log2_sklearn(count_k);
            }
            count_k = b->sum_right[c];
            if (count_k > 0.0) {
                count_k /= wr;
                er -= count_k * log2_sklearn(count_k);
            }
        }
        *il = el / 1.0;
        *ir = er / 1.0;
    }
}

/* out[c] = the number of rows of class c among rows[start:end], as scikit-learn's float64 sums
 * of unit weights (exact integers). Counted in integers: a float64 `+= 1.0` into memory per row
 * is a chain of dependent adds when neighbouring rows share a class. */
static void count_classes(const Builder *b, const int32_t *rows, Py_ssize_t start,
                          Py_ssize_t end, int64_t *scratch, double *out) {
    Py_ssize_t p, c;
    if (b->n_classes == 2) {
        int64_t ones = 0;
        for (p = start; p < end; p++) ones += b->y[rows[p]];
        out[0] = (double)((end - start) - ones);
        out[1] = (double)ones;
        return;
    }
    for (c = 0; c < b->n_classes; c++) scratch[c] = 0;
    for (p = start; p < end; p++) scratch[b->y[rows[p]]]++;
    for (c = 0; c < b->n_classes; c++) out[c] = (double)scratch[c];
}

/* sum_left = classes of the rows at [start, pos) of feature f's segment; sum_right the rest. */
static void split_sums(Builder *b, Py_ssize_t f, Py_ssize_t start, Py_ssize_t pos) {
    const int32_t *rows = b->rows + f * b->n_samples;
    Py_ssize_t c;
    count_classes(b, rows, start, pos, b->class_scratch, b->sum_left);
    for (c = 0; c < b->n_classes; c++) b->sum_right[c] = b->sum_total[c] - b->sum_left[c];
}

/* _splitter.pyx node_split_best, on presorted segments. */
static void node_split_best(Builder *b, Py_ssize_t start, Py_ssize_t end, double impurity,
                            Py_ssize_t *n_constant_features, double weighted_n_node,
                            SplitRecord *best) {
    Py_ssize_t *features = b->features, *constant_features = b->constant_features;
    Py_ssize_t f_i = b->n_features, f_j, p, p_prev, c, tmp;
    Py_ssize_t n_visited_features = 0, n_found_constants = 0, n_drawn_constants = 0;
    Py_ssize_t n_known_constants = *n_constant_features;
    Py_ssize_t n_total_constants = n_known_constants;
    double best_proxy_improvement = -INFINITY, current_proxy_improvement;

    best->pos = end; /* _init_split */
    best->feature = 0;
    best->threshold = 0.0;
    best->improvement = -INFINITY;
    best->impurity_left = INFINITY;
    best->impurity_right = INFINITY;
    best->missing_go_to_left = 0;

    while (f_i > n_total_constants &&
           (n_visited_features < b->max_features ||
            n_visited_features <= n_found_constants + n_drawn_constants)) {
        n_visited_features += 1;
        f_j = rand_int(n_drawn_constants, f_i - n_found_constants, &b->rand_r_state);
        if (f_j < n_known_constants) {
            tmp = features[n_drawn_constants];
            features[n_drawn_constants] = features[f_j];
            features[f_j] = tmp;
            n_drawn_constants += 1;
            continue;
        }
        f_j += n_found_constants;
        Py_ssize_t feature = features[f_j];
        const float *fv = b->values + feature * b->n_samples;
        const int32_t *rows = b->rows + feature * b->n_samples;
        if (fv[end - 1] <= fv[start] + FEATURE_THRESHOLD) {
            tmp = features[f_j];
            features[f_j] = features[n_total_constants];
            features[n_total_constants] = tmp;
            n_found_constants += 1;
            n_total_constants += 1;
            continue;
        }
        f_i -= 1;
        tmp = features[f_i];
        features[f_i] = features[f_j];
        features[f_j] = tmp;

        /* criterion.reset(); then update(p) for each candidate p that passes min_samples_leaf */
        int64_t *left_counts = b->left_counts, ones = 0;
        for (c = 0; c < b->n_classes; c++) left_counts[c] = 0;
        Py_ssize_t counted = start; /* rows [start, counted) are counted on the left */
        p = start;
        while (p < end) {
            /* DensePartitioner.next_p without missing values */
            p += 1;
            while (p < end && fv[p] <= fv[p - 1] + FEATURE_THRESHOLD) p += 1;
            p_prev = p - 1;
            if (p == end) continue;
            Py_ssize_t n_left = p - start, n_right = end - p;
            if (n_left < b->min_samples_leaf || n_right < b->min_samples_leaf) continue;
            if (b->n_classes == 2) {
                for (; counted < p; counted++) ones += b->y[rows[counted]];
            } else {
                for (; counted < p; counted++) left_counts[b->y[rows[counted]]]++;
            }
            double wl = (double)n_left, wr = weighted_n_node - wl;
            if (wl < b->min_weight_leaf || wr < b->min_weight_leaf) continue;
            if (b->n_classes == 2) {
                b->sum_left[0] = (double)(n_left - ones);
                b->sum_left[1] = (double)ones;
            } else {
                for (c = 0; c < b->n_classes; c++) b->sum_left[c] = (double)left_counts[c];
            }
            for (c = 0; c < b->n_classes; c++) b->sum_right[c] = b->sum_total[c] - b->sum_left[c];
            double il, ir;
            children_impurity(b, wl, wr, &il, &ir);
            current_proxy_improvement = -wr * ir - wl * il;
            if (current_proxy_improvement > best_proxy_improvement) {
                best_proxy_improvement = current_proxy_improvement;
                best->threshold = fv[p_prev] / 2.0 + fv[p] / 2.0;
                best->missing_go_to_left = n_left > n_right;
                best->feature = feature;
                best->pos = p;
            }
        }
    }

    if (best->pos < end) {
        double wl, wr;
        split_sums(b, best->feature, start, best->pos);
        wl = (double)(best->pos - start);
        wr = weighted_n_node - wl;
        children_impurity(b, wl, wr, &best->impurity_left, &best->impurity_right);
        best->improvement =
            (weighted_n_node / b->weighted_n_samples) *
            (impurity - wr / weighted_n_node * best->impurity_right -
             wl / weighted_n_node * best->impurity_left);
    }
    memcpy(features, constant_features, sizeof(Py_ssize_t) * n_known_constants);
    memcpy(constant_features + n_known_constants, features + n_known_constants,
           sizeof(Py_ssize_t) * n_found_constants);
    *n_constant_features = n_total_constants;
}

/* Reorder every other feature's segment [start, end): rows going left first, both halves in
 * their sorted order (a stable partition), so the children's segments stay sorted. Features
 * known to be constant here are skipped: they are constant in every descendant, which never
 * sorts them (node_split_best draws them from features[:n_known_constants] and moves on). */
static void partition(Builder *b, Py_ssize_t start, Py_ssize_t end, const SplitRecord *split,
                      Py_ssize_t n_constant_features) {
    Py_ssize_t n = b->n_samples, f, p, left, right;
    const int32_t *best_rows = b->rows + split->feature * n;
    for (p = start; p < split->pos; p++) b->goes_left[best_rows[p]] = 1;
    for (p = split->pos; p < end; p++) b->goes_left[best_rows[p]] = 0;
    memset(b->skip_feature, 0, b->n_features);
    for (f = 0; f < n_constant_features; f++) b->skip_feature[b->constant_features[f]] = 1;
    b->skip_feature[split->feature] = 1; /* already in order: its sorted prefix goes left */
    left = start; /* the node's rows, in no particular order: for its class counts */
    right = 0;
    for (p = start; p < end; p++) {
        int32_t row = b->node_rows[p];
        Py_ssize_t to_left = b->goes_left[row];
        b->node_rows[left] = row;
        b->row_tmp[right] = row;
        left += to_left;
        right += 1 - to_left;
    }
    memcpy(b->node_rows + left, b->row_tmp, sizeof(int32_t) * right);
    for (f = 0; f < b->n_features; f++) {
        if (b->skip_feature[f]) continue;
        float *fv = b->values + f * n;
        int32_t *rows = b->rows + f * n;
        left = start;
        right = 0;
        for (p = start; p < end; p++) { /* branch-free: the side is a coin flip to the CPU */
            int32_t row = rows[p];
            float value = fv[p];
            Py_ssize_t to_left = b->goes_left[row];
            fv[left] = value; /* left <= p: never overwrites a row not yet read */
            rows[left] = row;
            b->value_tmp[right] = value;
            b->row_tmp[right] = row;
            left += to_left;
            right += 1 - to_left;
        }
        memcpy(fv + left, b->value_tmp, sizeof(float) * right);
        memcpy(rows + left, b->row_tmp, sizeof(int32_t) * right);
    }
}

/* Order-preserving key of a float32 (no NaN): unsigned comparison of keys = float comparison. */
static inline uint32_t float_key(float v) {
    uint32_t u;
    memcpy(&u, &v, sizeof(u));
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

/* presort's answer for rows with an infinite or NaN value (the caller uses scikit-learn). */
#define NOT_FINITE (-3)

/* Sort every feature's rows by value: an LSD radix sort on the float keys, 8 bits a pass, with
 * one counting pass for all digits and no pass for a digit every key shares (the low mantissa
 * bytes of small integers, a constant feature). */
static int presort(Builder *b) {
    Py_ssize_t n = b->n_samples, F = b->n_features, f, i;
    uint64_t *a = malloc(sizeof(uint64_t) * n), *t = malloc(sizeof(uint64_t) * n), *swap;
    Py_ssize_t count[4][256];
    if (a == NULL || t == NULL) {
        free(a);
        free(t);
        return -1;
    }
    for (f = 0; f < F; f++) {
        uint32_t all_and = 0xFFFFFFFFu, all_or = 0, non_finite = 0;
        for (i = 0; i < n; i++) {
            float value = b->X[i * F + f];
            uint32_t bits;
            memcpy(&bits, &value, sizeof(bits));
            non_finite |= (bits & 0x7F800000u) == 0x7F800000u; /* inf or NaN */
            uint32_t key = float_key(value);
            all_and &= key;
            all_or |= key;
            a[i] = ((uint64_t)key << 32) | (uint32_t)i;
        }
        if (non_finite) { /* scikit-learn splits inf by threshold, not position: not covered */
            free(a);
            free(t);
            return NOT_FINITE;
        }
        uint32_t varying = all_and ^ all_or;
        int digits[4], n_digits = 0, d;
        for (d = 0; d < 4; d++)
            if ((varying >> (8 * d)) & 0xFFu) digits[n_digits++] = d;
        for (d = 0; d < n_digits; d++) memset(count[d], 0, sizeof(count[d]));
        for (i = 0; i < n; i++)
            for (d = 0; d < n_digits; d++) count[d][(a[i] >> (32 + 8 * digits[d])) & 0xFF]++;
        for (d = 0; d < n_digits; d++) {
            int shift = 32 + 8 * digits[d];
            Py_ssize_t sum = 0, k;
            for (k = 0; k < 256; k++) {
                Py_ssize_t c = count[d][k];
                count[d][k] = sum;
                sum += c;
            }
            for (i = 0; i < n; i++) t[count[d][(a[i] >> shift) & 0xFF]++] = a[i];
            swap = a;
            a = t;
            t = swap;
        }
        for (i = 0; i < n; i++) {
            int32_t row = (int32_t)(a[i] & 0xFFFFFFFFu);
            b->rows[f * n + i] = row;
            b->values[f * n + i] = b->X[row * F + f];
        }
    }
    free(a);
    free(t);
    return 0;
}

/* DepthFirstTreeBuilder.build. Returns the node count, or -1 (MemoryError) / -2 (too small
 * an output buffer). */
static Py_ssize_t build(Builder *b, Node *nodes, double *values, Py_ssize_t capacity,
                        Py_ssize_t *max_depth_seen_out) {
    Py_ssize_t n = b->n_samples, node_count = 0, max_depth_seen = -1, top = 0, c;
    StackRecord *stack = malloc(sizeof(StackRecord) * (n + 2));
    int first = 1;
    SplitRecord split;
    memset(&split, 0, sizeof(split));
    if (stack == NULL) return -1;
    stack[top++] = (StackRecord){0, n, 0, TREE_UNDEFINED, 0, INFINITY, 0};
    while (top > 0) {
        StackRecord rec = stack[--top];
        Py_ssize_t start = rec.start, end = rec.end, n_node_samples = end - start;
        double impurity = rec.impurity, weighted_n_node;
        Py_ssize_t n_constant_features = rec.n_constant_features;

        int is_leaf;

        count_classes(b, b->node_rows, start, end, b->class_scratch, b->sum_total);
        weighted_n_node = (double)n_node_samples; /* scikit-learn's sum of unit weights */
        is_leaf = rec.depth >= b->max_depth || n_node_samples < b->min_samples_split ||
                  n_node_samples < 2 * b->min_samples_leaf ||
                  weighted_n_node < 2 * b->min_weight_leaf;
        if (first) {
            impurity = node_impurity(b, b->sum_total, weighted_n_node);
            first = 0;
        }
        is_leaf = is_leaf || impurity <= DBL_EPSILON;
        if (!is_leaf) {
            node_split_best(b, start, end, impurity, &n_constant_features, weighted_n_node,
                            &split);
            is_leaf = is_leaf || split.pos >= end ||
                      split.improvement + DBL_EPSILON < b->min_impurity_decrease;
        }
        if (node_count >= capacity) {
            free(stack);
            return -2;
        }
        Node *node = nodes + node_count;
        memset(node, 0, sizeof(Node));
        node->impurity = impurity;
        node->n_node_samples = n_node_samples;
        node->weighted_n_node_samples = weighted_n_node;
        if (rec.parent != TREE_UNDEFINED) {
            if (rec.is_left)
                nodes[rec.parent].left_child = node_count;
            else
                nodes[rec.parent].right_child = node_count;
        }
        if (is_leaf) {
            node->left_child = TREE_LEAF;
            node->right_child = TREE_LEAF;
            node->feature = TREE_UNDEFINED;
            node->threshold = TREE_UNDEFINED;
        } else {
            node->feature = split.feature;
            node->threshold = split.threshold;
            node->missing_go_to_left = split.missing_go_to_left;
        }
        for (c = 0; c < b->n_classes; c++)
            values[node_count * b->n_classes + c] = b->sum_total[c] / weighted_n_node;
        if (!is_leaf) {
            partition(b, start, end, &split, n_constant_features);
            stack[top++] = (StackRecord){split.pos, end, rec.depth + 1, node_count, 0,
                                         split.impurity_right, n_constant_features};
            stack[top++] = (StackRecord){start, split.pos, rec.depth + 1, node_count, 1,
                                         split.impurity_left, n_constant_features};
        }
        if (rec.depth > max_depth_seen) max_depth_seen = rec.depth;
        node_count++;
    }
    free(stack);
    *max_depth_seen_out = max_depth_seen;
    return node_count;
}

/* A C-contiguous buffer of at least min_items items of `itemsize` bytes; `format`, if given,
 * is the struct code its items must have ('f' float32, 'i' int32, 'd' float64). */
static int get_buffer(PyObject *obj, Py_buffer *view, int writable, Py_ssize_t itemsize,
                      Py_ssize_t min_items, const char *format, const char *name) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) != 0) return -1;
    if (view->itemsize != itemsize ||
        (format != NULL && view->format != NULL &&
         strcmp(view->format + (strchr("@=<", view->format[0]) && view->format[0] ? 1 : 0),
                format) != 0)) {
        PyErr_Format(PyExc_TypeError, "%s: items of format '%s' and %zd bytes, need '%s' (%zd)",
                     name, view->format ? view->format : "B", view->itemsize,
                     format ? format : "a Node record", itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    if (view->len < itemsize * min_items) {
        PyErr_Format(PyExc_ValueError, "%s: buffer of %zd bytes, need %zd", name, view->len,
                     itemsize * min_items);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(build_tree_doc,
             "build_tree(X, y, n_samples, n_features, n_classes, criterion, max_features,\n"
             "           min_samples_leaf, min_samples_split, min_weight_leaf, max_depth,\n"
             "           min_impurity_decrease, rand_r_state, nodes, values)\n"
             "-> (node_count, max_depth), or None if X holds inf or NaN\n\n"
             "Grow scikit-learn's depth-first best-split tree into the `nodes` (NODE_DTYPE\n"
             "records) and `values` (float64, node x class) buffers. X: C-contiguous float32\n"
             "rows, y: int32 encoded labels, criterion: 0 gini, 1 entropy.");

static PyObject *py_build_tree(PyObject *self, PyObject *args) {
    PyObject *X_obj, *y_obj, *nodes_obj, *values_obj;
    Builder b;
    unsigned long rand_r_state;
    Py_buffer X_view, y_view, nodes_view, values_view;
    Py_ssize_t node_count = -1, max_depth_seen = -1, capacity;
    int not_finite = 0;
    memset(&b, 0, sizeof(b));
    if (!PyArg_ParseTuple(args, "OOnnninnndndkOO", &X_obj, &y_obj, &b.n_samples, &b.n_features,
                          &b.n_classes, &b.criterion, &b.max_features, &b.min_samples_leaf,
                          &b.min_samples_split, &b.min_weight_leaf, &b.max_depth,
                          &b.min_impurity_decrease, &rand_r_state, &nodes_obj, &values_obj))
        return NULL;
    if (b.n_samples < 1 || b.n_features < 1 || b.n_classes < 1 || b.n_samples > INT32_MAX ||
        (b.criterion != CRITERION_GINI && b.criterion != CRITERION_ENTROPY)) {
        PyErr_SetString(PyExc_ValueError, "build_tree: invalid sizes or criterion");
        return NULL;
    }
    if (b.n_features > PY_SSIZE_T_MAX / 8 / b.n_samples ||
        b.n_classes > PY_SSIZE_T_MAX / 16 / b.n_samples) {
        PyErr_SetString(PyExc_ValueError, "build_tree: sizes overflow");
        return NULL;
    }
    b.rand_r_state = (uint32_t)rand_r_state;
    b.weighted_n_samples = 0.0;
    for (Py_ssize_t i = 0; i < b.n_samples; i++) b.weighted_n_samples += 1.0;
    if (get_buffer(X_obj, &X_view, 0, sizeof(float), b.n_samples * b.n_features, "f", "X") != 0)
        return NULL;
    if (get_buffer(y_obj, &y_view, 0, sizeof(int32_t), b.n_samples, "i", "y") != 0) {
        PyBuffer_Release(&X_view);
        return NULL;
    }
    if (get_buffer(nodes_obj, &nodes_view, 1, sizeof(Node), 1, NULL, "nodes") != 0) {
        PyBuffer_Release(&X_view);
        PyBuffer_Release(&y_view);
        return NULL;
    }
    capacity = nodes_view.len / (Py_ssize_t)sizeof(Node);
    if (get_buffer(values_obj, &values_view, 1, sizeof(double), capacity * b.n_classes, "d",
                   "values") != 0) {
        PyBuffer_Release(&X_view);
        PyBuffer_Release(&y_view);
        PyBuffer_Release(&nodes_view);
        return NULL;
    }
    b.X = X_view.buf;
    b.y = y_view.buf;
    for (Py_ssize_t i = 0; i < b.n_samples; i++) {
        if (b.y[i] < 0 || b.y[i] >= b.n_classes) {
            PyErr_SetString(PyExc_ValueError, "build_tree: labels must be in [0, n_classes)");
            goto done;
        }
    }
    {
        Py_ssize_t n = b.n_samples, F = b.n_features, K = b.n_classes;
        b.values = malloc(sizeof(float) * n * F);
        b.rows = malloc(sizeof(int32_t) * n * F);
        b.value_tmp = malloc(sizeof(float) * n);
        b.row_tmp = malloc(sizeof(int32_t) * n);
        b.goes_left = malloc(n);
        b.skip_feature = malloc(F);
        b.node_rows = malloc(sizeof(int32_t) * n);
        b.features = malloc(sizeof(Py_ssize_t) * F);
        b.constant_features = malloc(sizeof(Py_ssize_t) * F);
        b.sum_total = malloc(sizeof(double) * 3 * K);
        b.class_scratch = malloc(sizeof(int64_t) * 2 * K);
        if (!b.values || !b.rows || !b.value_tmp || !b.row_tmp || !b.goes_left || !b.skip_feature ||
            !b.node_rows ||
            !b.features ||
            !b.constant_features || !b.sum_total || !b.class_scratch) {
            PyErr_NoMemory();
            goto done;
        }
        b.sum_left = b.sum_total + K;
        b.sum_right = b.sum_total + 2 * K;
        b.left_counts = b.class_scratch + K;
        for (Py_ssize_t f = 0; f < F; f++) b.features[f] = f;
        for (Py_ssize_t i = 0; i < n; i++) b.node_rows[i] = (int32_t)i;
        int sorted;
        Py_BEGIN_ALLOW_THREADS
        sorted = presort(&b);
        if (sorted == 0)
            node_count = build(&b, nodes_view.buf, values_view.buf, capacity, &max_depth_seen);
        Py_END_ALLOW_THREADS
        if (sorted == NOT_FINITE) {
            not_finite = 1;
            node_count = 0;
        } else if (node_count == -1)
            PyErr_NoMemory();
        if (node_count == -2)
            PyErr_SetString(PyExc_ValueError, "build_tree: the nodes buffer is too small");
    }
done:
    free(b.values);
    free(b.rows);
    free(b.value_tmp);
    free(b.row_tmp);
    free(b.goes_left);
    free(b.skip_feature);
    free(b.node_rows);
    free(b.features);
    free(b.constant_features);
    free(b.sum_total);
    free(b.class_scratch);
    PyBuffer_Release(&X_view);
    PyBuffer_Release(&y_view);
    PyBuffer_Release(&nodes_view);
    PyBuffer_Release(&values_view);
    if (node_count < 0) return NULL;
    if (not_finite) Py_RETURN_NONE;
    return Py_BuildValue("nn", node_count, max_depth_seen);
}

static PyObject *py_node_layout(PyObject *self, PyObject *unused) {
    return Py_BuildValue("n(nnnnnnnn)", (Py_ssize_t)sizeof(Node), offsetof(Node, left_child),
                         offsetof(Node, right_child), offsetof(Node, feature),
                         offsetof(Node, threshold), offsetof(Node, impurity),
                         offsetof(Node, n_node_samples), offsetof(Node, weighted_n_node_samples),
                         offsetof(Node, missing_go_to_left));
}

static PyMethodDef methods[] = {
    {"build_tree", py_build_tree, METH_VARARGS, build_tree_doc},
    {"node_layout", py_node_layout, METH_NOARGS,
     "node_layout() -> (itemsize, field offsets): the Node struct this module writes."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_tree_builder",
    "scikit-learn's depth-first best-split tree builder on presorted features (see the C file).",
    -1, methods,
};

PyMODINIT_FUNC PyInit__tree_builder(void) { return PyModule_Create(&module); }
