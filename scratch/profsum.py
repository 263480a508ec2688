import json,glob,collections,sys
f=sorted(glob.glob('/tmp/prof*.json'), key=lambda p: __import__('os').path.getmtime(p))[-1]
ev=json.load(open(f))
agg=collections.Counter(); cnt=collections.Counter()
runs=[e for e in ev if e.get('cat')=='Node' and e['name'].endswith('_kernel_time')]
nrun = int(sys.argv[1]) if len(sys.argv)>1 else 2
for e in runs:
    agg[e['args']['op_name']]+=e['dur']; cnt[e['args']['op_name']]+=1
for k,v in agg.most_common(15): print(f"{k:30s} {v/1000/nrun:8.1f} ms  {cnt[k]//nrun}")
print('total', sum(agg.values())/1000/nrun)
