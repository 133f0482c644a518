import NN
import Tensor

/// A tensor of standard normal values from a fixed seed.
func normalTensor(_ shape: [Int], seed: UInt64, scale: Float = 1, offset: Float = 0) -> Tensor {
  var t = Tensor(shape: shape)
  t.withUnsafeMutableBufferPointer { RandomKey(seed: seed).fold(.test).fillNormal($0) }
  t.withUnsafeMutableBufferPointer { b in
    for i in b.indices { b[i] = b[i] * scale + offset }
  }
  return t
}

/// A tensor of uniform values in [low, high) from a fixed seed.
func uniformTensor(_ shape: [Int], seed: UInt64, low: Float = 0, high: Float = 1) -> Tensor {
  let u = RandomKey(seed: seed).fold(.test).uniforms(shape.reduce(1, *))
  return Tensor(shape: shape, storage: u.map { low + (high - low) * $0 })
}

/// The training context of optimisation step `step` of a run with `seed`.
func training(seed: UInt64 = 7, step: Int = 0, progress: Double = 1) -> StepContext {
  StepContext(mode: .train, key: RandomKey(seed: seed).fold(.mask).fold(step), step: step, progress: progress)
}

func zeroFraction(_ values: [Float]) -> Double {
  Double(values.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }) / Double(values.count)
}

func zeroFraction(_ t: Tensor) -> Double { zeroFraction(t.storage) }

/// Index of `(n, i, j, c)` in an NHWC tensor of shape `[_, h, w, c]`.
func nhwc(_ n: Int, _ i: Int, _ j: Int, _ c: Int, h: Int, w: Int, channels: Int) -> Int {
  ((n * h + i) * w + j) * channels + c
}
