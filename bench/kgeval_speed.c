/* kgeval_speed.c -- time emb_kgeval_run on a synthetic FB15k-237-sized
 * problem: 14,541 entities, 237 relations, randomly initialised model,
 * N test triples drawn from 13,737 heads and 9,113 tails (FB15k-237's
 * distinct (h, r) and (r, t) counts), one train triple per entity.
 *
 *     cc -std=c11 -D_GNU_SOURCE -O2 -Iinclude -o /tmp/kgeval_speed bench/kgeval_speed.c build/libemb.a -lz -lm -lpthread
 *     flock /tmp/emb-bench.lock /tmp/kgeval_speed KIND DIM THREADS [N_TEST [SIMD]]
 *
 * KIND: 0 TransE (L1), 1 DistMult, 2 ComplEx, 3 RotatE; SIMD: 0 auto,
 * 1 reference, 2 AVX2, 3 AVX-512. Prints seconds and the query count. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "emb/kgeval.h"
#include "emb/rng.h"
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){
  int kind=atoi(argv[1]), dim=atoi(argv[2]), nth=atoi(argv[3]); int ntest=argc>4?atoi(argv[4]):20466; int simd=argc>5?atoi(argv[5]):0;
  int NE=14541, NR=237;
  struct emb_kg kg; memset(&kg,0,sizeof kg);
  emb_vocab_new(&kg.entities,NULL); emb_vocab_new(&kg.relations,NULL);
  char b[32];
  for(int i=0;i<NE;i++){sprintf(b,"e%d",i);emb_vocab_add(kg.entities,b,strlen(b),1,NULL,NULL);}
  for(int i=0;i<NR;i++){sprintf(b,"r%d",i);emb_vocab_add(kg.relations,b,strlen(b),1,NULL,NULL);}
  kg.n_entities=NE;kg.n_relations=NR;
  struct emb_rng r; emb_rng_seed(&r,1,0);
  kg.train.n=NE; kg.train.h=malloc(4*NE);kg.train.r=malloc(4*NE);kg.train.t=malloc(4*NE);
  for(int i=0;i<NE;i++){kg.train.h[i]=i;kg.train.r[i]=emb_rng_below(&r,NR);kg.train.t[i]=emb_rng_below(&r,NE);}
  kg.test.n=ntest; kg.test.h=malloc(4*ntest);kg.test.r=malloc(4*ntest);kg.test.t=malloc(4*ntest);
  /* ~13.7k distinct (h,r), ~9.1k distinct (r,t) like FB15k-237 */
  for(int i=0;i<ntest;i++){kg.test.h[i]=emb_rng_below(&r,13737); kg.test.r[i]=0; kg.test.t[i]=emb_rng_below(&r,9113);}
  kg.in_train=calloc(NE,1); for(int i=0;i<NE;i++)kg.in_train[i]=1;
  struct emb_kge m; memset(&m,0,sizeof m); m.model=kind; m.dim=dim; m.p_norm=1; m.gamma=9;
  int cp=kind==2||kind==3;
  emb_table_new(&m.ent,NE,cp?2*dim:dim,NULL); emb_table_new(&m.rel,NR,kind==2?2*dim:dim,NULL);
  emb_table_init_uniform(m.ent,0.1f,3); emb_table_init_uniform(m.rel,0.1f,4);
  m.ent_names=kg.entities; m.rel_names=kg.relations;
  struct emb_kgeval_params p=emb_kgeval_default_params(); p.n_threads=nth; p.simd=simd;
  struct emb_kgeval_result res; struct emb_err err={0};
  double t0=now(); int rc=emb_kgeval_run(&m,&kg,&p,&res,&err); double t=now()-t0;
  printf("kind %d dim %d threads %d: rc %d %s  %.2f s  queries %lld  MRR %.5f\n",kind,dim,nth,rc,err.msg,t,(long long)res.n_queries,res.both.mrr);
  return 0;
}
