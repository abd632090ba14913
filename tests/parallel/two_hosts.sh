#!/bin/sh
# A real multi-host run on one machine: two network namespaces are the hosts, joined by a veth
# pair; OpenMPI runs over TCP between them (btl self,tcp), launched on the second host by a
# small launcher agent in place of ssh (plm_rsh_agent: "agent HOST COMMAND" runs COMMAND in
# HOST's namespace); the run folder is a path both see (namespaces share the file system).
# 4 ranks placed round-robin (--map-by node), so each sequence group of parallel.sequence=2
# spans both hosts; the run must end where one process ends (the same losses to 1e-6).
# Exit 77 (skipped, with the reason) without mpirun, without root, or where namespaces cannot
# be made. usage: two_hosts.sh LONGNET_BINARY
longnet="$1"
if ! command -v mpirun >/dev/null 2>&1; then
  echo "SKIPPED: mpirun not found (install openmpi-bin, e.g. make deps)"; exit 77
fi
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null 2>&1; then
  echo "SKIPPED: network namespaces need root and iproute2's ip; the two-host run did not run"; exit 77
fi
id=$$
h1="ln-h1-$id"; h2="ln-h2-$id"; a1="10.213.17.1"; a2="10.213.17.2"
out=$(mktemp -d) || exit 1
cleanup() { ip netns del "$h1" 2>/dev/null; ip netns del "$h2" 2>/dev/null; rm -rf "$out"; }
trap cleanup EXIT
if ! ip netns add "$h1" 2>"$out/ns.err" || ! ip netns add "$h2" 2>>"$out/ns.err" ||
   ! ip link add "lnv1-$id" type veth peer name "lnv2-$id" 2>>"$out/ns.err"; then
  echo "SKIPPED: cannot make network namespaces here: $(head -n 1 "$out/ns.err")"; exit 77
fi
ip link set "lnv1-$id" netns "$h1" && ip link set "lnv2-$id" netns "$h2" &&
  ip -n "$h1" addr add "$a1/24" dev "lnv1-$id" && ip -n "$h2" addr add "$a2/24" dev "lnv2-$id" &&
  ip -n "$h1" link set lo up && ip -n "$h2" link set lo up &&
  ip -n "$h1" link set "lnv1-$id" up && ip -n "$h2" link set "lnv2-$id" up || { echo "FAIL: veth set-up"; exit 1; }
cat > "$out/agent.sh" <<AGENT
#!/bin/sh
# plm_rsh_agent for namespaces: "agent.sh HOST COMMAND..." runs COMMAND in HOST's namespace.
host="\$1"; shift
case "\$host" in
  $a1) ns=$h1 ;;
  $a2) ns=$h2 ;;
  *) echo "agent.sh: unknown host \$host" >&2; exit 1 ;;
esac
exec ip netns exec "\$ns" sh -c "\$*"
AGENT
chmod +x "$out/agent.sh"
. "$(dirname "$0")/tiny_corpus.sh"
tiny_corpus "$out/corpus" || exit 1
tiny_model > "$out/tiny.yaml"
cat >> "$out/tiny.yaml" <<YAML
data: {train: [$out/corpus], cache_dir: $out/cache, seq_len: 64, val_fraction: 0.2}
train: {steps: 3, batch_size: 4, lr: 0.003, warmup_steps: 1, eval_every: 0, save_every: 0}
parallel: {timeout_s: 60}
YAML
fail=0
# Where each rank runs: rank r prints the address of its namespace.
ip netns exec "$h1" mpirun --allow-run-as-root --oversubscribe -np 4 --host "$a1:2,$a2:2" --map-by node \
  --bind-to none --mca plm_rsh_agent "$out/agent.sh" --mca btl self,tcp \
  --mca btl_tcp_if_include 10.213.17.0/24 --mca oob_tcp_if_include 10.213.17.0/24 \
  sh -c 'echo "rank $OMPI_COMM_WORLD_RANK on $(ip -o -4 addr show | grep -o "10\.213\.17\.[0-9]")"' \
  >"$out/where.out" 2>&1
sort "$out/where.out"
if ! grep -q "rank 1 on $a2" "$out/where.out" || ! grep -q "rank 0 on $a1" "$out/where.out"; then
  echo "FAIL: the ranks did not run on both hosts:"; cat "$out/where.out"; exit 1
fi
# The reference: one plain process.
"$longnet" train "$out/tiny.yaml" --set train.out_dir="$out/single" -q --threads 1 >"$out/single.log" 2>&1 ||
  { echo "FAIL: the single-process run:"; cat "$out/single.log"; exit 1; }
ip netns exec "$h1" mpirun --allow-run-as-root --oversubscribe -np 4 --host "$a1:2,$a2:2" --map-by node \
  --bind-to none --mca plm_rsh_agent "$out/agent.sh" --mca btl self,tcp \
  --mca btl_tcp_if_include 10.213.17.0/24 --mca oob_tcp_if_include 10.213.17.0/24 \
  "$longnet" train "$out/tiny.yaml" --set train.out_dir="$out/two-hosts" --set parallel.sequence=2 \
  --set tokenizer.model="$out/single/tokenizer.model" -q --threads 1 >"$out/hosts.log" 2>&1
rc=$?
if [ $rc -ne 0 ] || [ ! -d "$out/two-hosts/step-000000003" ]; then
  echo "FAIL: the two-host run: exit $rc"; cat "$out/hosts.log"; exit 1
fi
losses() { grep '"kind": "train"' "$1" | sed 's/.*"loss": \([-0-9.e+]*\).*/\1/'; }
losses "$out/single/metrics.jsonl" >"$out/a"; losses "$out/two-hosts/metrics.jsonl" >"$out/b"
if ! awk 'NR == FNR { a[FNR] = $1; n = FNR; next }
          { d = $1 - a[FNR]; if (d < 0) d = -d; if (d > 1e-6 * (a[FNR] < 0 ? -a[FNR] : a[FNR])) bad = 1; m = FNR }
          END { exit (bad || m != n || n != 3) }' "$out/a" "$out/b"; then
  echo "FAIL: the losses differ: one process $(tr '\n' ' ' < "$out/a"), two hosts $(tr '\n' ' ' < "$out/b")"; fail=1
else
  echo "ok: 2 hosts x 2 ranks (data 2 x sequence 2) over TCP: losses $(tr '\n' ' ' < "$out/b")= one process's"
fi
grep -q '"world": 4, "sequence": 2, "data": 2' "$out/two-hosts/metrics.jsonl" ||
  { echo "FAIL: metrics.jsonl rows do not carry the grid"; fail=1; }
exit $fail
