/* headers_test.c -- every public header together in one C translation unit
 * (the Makefile also compiles each alone as C and as C++). */
#include "emb/err.h"
#include "emb/eval.h"
#include "emb/graph.h"
#include "emb/huffman.h"
#include "emb/io.h"
#include "emb/kg.h"
#include "emb/line.h"
#include "emb/map.h"
#include "emb/linkpred.h"
#include "emb/logreg.h"
#include "emb/n2v.h"
#include "emb/nodeclf.h"
#include "emb/plot.h"
#include "emb/pool.h"
#include "emb/rng.h"
#include "emb/sample.h"
#include "emb/simd.h"
#include "emb/stream.h"
#include "emb/table.h"
#include "emb/train.h"
#include "emb/vec.h"
#include "emb/vecs.h"
#include "emb/vocab.h"
#include "emb/w2v.h"
#include "emb/walk.h"

int main(void) {
    /* One call per module so that linking checks the declarations too. */
    struct emb_err err = {0};
    struct emb_vocab *v = NULL;
    if (emb_vocab_new(&v, &err) != EMB_OK) return 1;
    emb_vocab_free(v);
    struct emb_w2v_params p = emb_w2v_default_params();
    return emb_w2v_params_check(&p, &err) == EMB_OK && emb_strerror(EMB_EIO)[0] ? 0 : 1;
}
