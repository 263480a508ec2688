// One LEGO brick (LEGO-SPEC "One brick"): tiles the canvas, embeds patches, runs DiT blocks under the
// image's conditioning, and puts every tile's output back in place. (B, Ch, H, W) -> (B, C, H, W).
import type { Value } from '../graph/ops.js';
import type { Precision } from '../nn/linear.js';
import { ditBlock, finalLayer } from '../nn/dit-block.js';
import { addPosEmbed, patchEmbed, unpatchify } from '../nn/embeddings.js';
import type { Params } from '../nn/params.js';
import type { BrickConfig, LegoConfig } from './config.js';

/** x (B, Ch, H, W) with H, W multiples of the tile size; c (B, D). `precision`: that of the blocks' Linears. */
export function brick(p: Params, x: Value, c: Value, b: BrickConfig, cfg: LegoConfig, precision: Precision = 'float32'): Value {
  const [, , height, width] = x.shape;
  const d = cfg.hiddenSize;
  const g = b.resolution / b.patchSize;
  if (height % b.resolution !== 0 || width % b.resolution !== 0) {
    throw new Error(`internal: brick ${p.prefix}: canvas ${height}x${width} is not tiled by ${b.resolution}`);
  }
  let tokens = addPosEmbed(p, patchEmbed(p.at('x_embedder'), x, b.resolution, b.patchSize, d), g, d);
  for (let j = 0; j < b.depth; j++) {
    tokens = ditBlock(p.at('blocks').at(j), tokens, c, { hidden: d, heads: b.heads, mlpRatio: cfg.mlpRatio, precision });
  }
  const out = finalLayer(p.at('final_layer'), tokens, c, d, b.patchSize * b.patchSize * cfg.imgChannels);
  return unpatchify(out, height, width, b.resolution, b.patchSize, cfg.imgChannels);
}
