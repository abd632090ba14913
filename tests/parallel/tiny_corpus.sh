# Sourced by the distributed CLI tests: tiny_corpus DIR writes DIR/doc0.txt .. doc5.txt, 60
# lines each, a corpus small enough to train a tokenizer and a 2-layer model in seconds.
tiny_corpus() {
  mkdir -p "$1" || return 1
  i=0
  while [ $i -lt 6 ]; do
    j=0; : > "$1/doc$i.txt"
    while [ $j -lt 60 ]; do
      echo "the cat $i sat on mat $j and the dog ran far away under a blue sky with sun $((i * j))" >> "$1/doc$i.txt"
      j=$((j + 1))
    done
    i=$((i + 1))
  done
}

# tiny_model prints the YAML of the 2-layer model these tests train (model, attention,
# tokenizer); each test adds its own data, train and parallel lines.
tiny_model() {
  echo "model: {d_model: 16, layers: 2, heads: 4, mlp_ratio: 2, dropout: 0}"
  echo "attention: {segments: [8, 16, 32, 64], dilations: [1, 2, 2, 4]}"
  echo "tokenizer: {vocab_size: 300}"
}
