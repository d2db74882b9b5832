/* hnsw_level.h -- the two hot loops of hnsw.c, written once and compiled
 * twice: hnsw.c includes this file with HL_NAME(x), HL_ATTR and
 * HL_SIM(ix, a, j) defined, once plainly (vec.h kernels through ix->ops)
 * and once with HL_ATTR = EMB_TARGET_AVX512 (simd.h) and an inlined
 * AVX-512 dot product, so the distance in the innermost loop is neither a
 * call nor a loop over an unknown length. Not a public header; no include
 * guard on purpose. */

/* Best-first search from ep on level lev with breadth ef (Algorithm 2);
 * the kept set is left in c->top (min-heap, *n_top entries). Deleted rows
 * are walked through but not kept. q: (stride) prepared vector. */
HL_ATTR static int HL_NAME(search_level)(const struct emb_index *ix, struct ix_ctx *c, const float *q, int64_t ep, int ef,
                                 int lev, int64_t *n_top) {
    uint16_t epoch = next_epoch(c);
    uint16_t *tags = c->tags;
    const uint8_t *del = ix->n_deleted ? ix->deleted : NULL;
    const size_t vec_bytes = (size_t)ix->stride * sizeof(float);
    int64_t n_cand = 0, nt = 0;
    float s = HL_SIM(ix, q, ep);
    tags[ep] = epoch;
    heap_push(c->cand_s, c->cand_i, &n_cand, s, (uint32_t)ep, 1);
    if (!del || !del[ep]) heap_push(c->top_s, c->top_i, &nt, s, (uint32_t)ep, 0);
    float lower = nt ? c->top_s[0] : -INFINITY;
    while (n_cand > 0) {
        float cs = c->cand_s[0];
        uint32_t cur = c->cand_i[0];
        if (cs < lower && nt >= ef) break;
        heap_pop(c->cand_s, c->cand_i, &n_cand, 1);
        /* The list after this one is likely the next to be read. */
        if (lev == 0 && n_cand > 0) __builtin_prefetch(ix_node_links0(ix, c->cand_i[0]));
        const uint32_t *l = read_links(ix, cur, lev, c->links);
        uint32_t cnt = l[0];
        /* Two passes: first the unvisited neighbours are listed (their
         * tags were prefetched together) and each one's whole vector is
         * prefetched, then they are scored. The misses of one list overlap
         * instead of being taken one neighbour at a time. */
        for (uint32_t t = 1; t <= cnt; t++) __builtin_prefetch(tags + l[t]);
        uint32_t todo[2 * IX_MAX_M];
        uint32_t n_todo = 0;
        for (uint32_t t = 1; t <= cnt; t++) {
            uint32_t j = l[t];
            if (tags[j] == epoch) continue;
            tags[j] = epoch;
            todo[n_todo++] = j;
            const char *v = (const char *)ix_node_vec(ix, j);
            for (size_t o = 0; o < vec_bytes; o += 64) __builtin_prefetch(v + o);
        }
        for (uint32_t t = 0; t < n_todo; t++) {
            uint32_t j = todo[t];
            float sj = HL_SIM(ix, q, j);
            if (nt < ef || sj > lower) {
                if (cand_room(c, n_cand + 1) != EMB_OK || cand_room(c, nt + 1) != EMB_OK) return EMB_ENOMEM;
                heap_push(c->cand_s, c->cand_i, &n_cand, sj, j, 1);
                if (!del || !del[j]) {
                    heap_push(c->top_s, c->top_i, &nt, sj, j, 0);
                    if (nt > ef) heap_pop(c->top_s, c->top_i, &nt, 0);
                }
                if (nt) lower = c->top_s[0];
            }
        }
    }
    *n_top = nt;
    return EMB_OK;
}

/* Greedy descent on level lev: move to the best neighbour while it improves. */
HL_ATTR static int64_t HL_NAME(greedy)(const struct emb_index *ix, struct ix_ctx *c, const float *q, int64_t cur,
                               float *cur_s, int lev) {
    for (int changed = 1; changed;) {
        changed = 0;
        const uint32_t *l = read_links(ix, cur, lev, c->links);
        uint32_t cnt = l[0];
        for (uint32_t t = 1; t <= cnt; t++) {
            float s = HL_SIM(ix, q, l[t]);
            if (s > *cur_s) {
                *cur_s = s;
                cur = l[t];
                changed = 1;
            }
        }
    }
    return cur;
}
