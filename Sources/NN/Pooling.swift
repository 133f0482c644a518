import Tensor

/// Max pooling over k×k windows with stride s (no padding) on NHWC maps. Ties go to the first maximum in
/// window order, and the gradient flows only to it.
///
/// `relu: true` fuses a preceding ReLU: y = max(0, maxpool(x)) = maxpool(relu(x)) exactly (ReLU is monotone and
/// both keep NaN), and no gradient passes where y was clamped to 0, which is what ReLU's backward (relu'(0) = 0)
/// followed by the pool's gives. One pass over the large pre-pooling map instead of three.
///
/// The pre-pooling map is the largest activation of a CNN and comes from memory, not cache, so traffic decides the
/// speed. Non-overlapping windows (stride = kernel) with channels in multiples of 8 — every pooling layer of the
/// model zoo — record one byte per output (the maximum's position in its window, 255 where the ReLU clamped), and
/// the backward writes every input gradient exactly once without reading the input. Other shapes record flat
/// Int32 indices (−1 where clamped) and scatter-add into zeros.
public final class MaxPool2d: Layer {
  public let kernel: Int
  public let stride: Int
  public let relu: Bool
  /// Position of each output's maximum within its window (training, non-overlapping path).
  private var positions: [UInt8] = []
  /// Flat input index of each output's maximum (training, general path).
  private var argmax: [Int32] = []
  private var inputShape: [Int] = []
  private var outputShape: [Int] = []
  private static let clamped: UInt8 = 255

  public init(kernel: Int = 2, stride: Int? = nil, relu: Bool = false) {
    self.kernel = kernel
    self.stride = stride ?? kernel
    self.relu = relu
  }

  private func usesPositions(channels c: Int) -> Bool { stride == kernel && kernel <= 15 && c % 8 == 0 }

  public func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
    precondition(x.rank == 4, "MaxPool2d: expected NHWC input, got \(x.shape)")
    let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let oh = (h - kernel) / stride + 1
    let ow = (w - kernel) / stride + 1
    let outputs = n * oh * ow * c
    let train = context.mode == .train
    let compact = usesPositions(channels: c)
    positions = []
    argmax = []
    if train {
      inputShape = x.shape
      outputShape = [n, oh, ow, c]
      if compact {
        positions = [UInt8](unsafeUninitializedCapacity: outputs) { _, initialized in initialized = outputs }
      } else {
        argmax = [Int32](unsafeUninitializedCapacity: outputs) { _, initialized in initialized = outputs }
      }
    }
    let (kernel, stride, relu) = (kernel, stride, relu)
    return Tensor(shape: [n, oh, ow, c]) { out in
      x.withUnsafeBufferPointer { src in
        positions.withUnsafeMutableBufferPointer { pos in
          argmax.withUnsafeMutableBufferPointer { arg in
            let zero = SIMD8<Float>(repeating: 0)
            for b in 0..<n {
              for oy in 0..<oh {
                for ox in 0..<ow {
                  let o = ((b * oh + oy) * ow + ox) * c
                  let corner = ((b * h + oy * stride) * w + ox * stride) * c
                  var ch = 0
                  // Eight channels at a time: compare-and-blend, no branches; `.>` keeps the first maximum.
                  while ch + 8 <= c && (compact || !train) {
                    var best = SIMD8<Float>(repeating: -.infinity)
                    var at = SIMD8<Int32>(repeating: 0)
                    for ky in 0..<kernel {
                      for kx in 0..<kernel {
                        let i = corner + (ky * w + kx) * c + ch
                        let v = UnsafeRawPointer(src.baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self)
                        let greater = v .> best
                        best.replace(with: v, where: greater)
                        at.replace(with: SIMD8(repeating: Int32(ky * kernel + kx)), where: greater)
                      }
                    }
                    if relu {
                      let clamp = best .<= zero
                      best.replace(with: zero, where: clamp)
                      at.replace(with: SIMD8(repeating: Int32(Self.clamped)), where: clamp)
                    }
                    UnsafeMutableRawPointer(out.baseAddress! + o + ch).storeBytes(of: best, as: SIMD8<Float>.self)
                    if train {
                      UnsafeMutableRawPointer(pos.baseAddress! + o + ch).storeBytes(
                        of: SIMD8<UInt8>(truncatingIfNeeded: at), as: SIMD8<UInt8>.self)
                    }
                    ch += 8
                  }
                  while ch < c {
                    var best = -Float.infinity
                    var at = 0
                    for ky in 0..<kernel {
                      for kx in 0..<kernel {
                        let i = corner + (ky * w + kx) * c + ch
                        if src[i] > best {
                          best = src[i]
                          at = i
                        }
                      }
                    }
                    let clamp = relu && best <= 0
                    out[o + ch] = clamp ? 0 : best
                    if train { arg[o + ch] = clamp ? -1 : Int32(at) }
                    ch += 1
                  }
                }
              }
            }
          }
        }
      }
    }
  }

  public func backward(_ dy: Tensor) -> Tensor {
    precondition(dy.shape == outputShape, "MaxPool2d.backward: dy \(dy.shape) does not match the output \(outputShape)")
    let (n, h, w, c) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
    let (oh, ow) = (outputShape[1], outputShape[2])
    guard !positions.isEmpty || argmax.isEmpty else {
      var dx = Tensor(shape: inputShape)
      dx.withUnsafeMutableBufferPointer { out in
        dy.withUnsafeBufferPointer { g in
          argmax.withUnsafeBufferPointer { arg in
            for i in 0..<g.count where arg[i] >= 0 { out[Int(arg[i])] += g[i] }
          }
        }
      }
      return dx
    }
    // Non-overlapping windows: the input at the recorded position gets the gradient, every other input 0
    // (including rows and columns no window covers, and whole windows the ReLU clamped).
    let k = kernel
    return Tensor(shape: inputShape) { out in
      positions.withUnsafeBufferPointer { pos in
        dy.withUnsafeBufferPointer { g in
          let zero = SIMD8<Float>(repeating: 0)
          for b in 0..<n {
            for oy in 0..<oh {
              for ox in 0..<ow {
                let o = ((b * oh + oy) * ow + ox) * c
                let corner = ((b * h + oy * k) * w + ox * k) * c
                var ch = 0
                while ch < c {
                  let at = SIMD8<Int32>(
                    truncatingIfNeeded: UnsafeRawPointer(pos.baseAddress! + o + ch).loadUnaligned(as: SIMD8<UInt8>.self)
                  )
                  let gv = UnsafeRawPointer(g.baseAddress! + o + ch).loadUnaligned(as: SIMD8<Float>.self)
                  for ky in 0..<k {
                    for kx in 0..<k {
                      let i = corner + (ky * w + kx) * c + ch
                      UnsafeMutableRawPointer(out.baseAddress! + i).storeBytes(
                        of: zero.replacing(with: gv, where: at .== SIMD8(repeating: Int32(ky * k + kx))),
                        as: SIMD8<Float>.self)
                    }
                  }
                  ch += 8
                }
              }
              // Columns right of the last window.
              for r in 0..<k where ow * k < w {
                let row = (b * h + oy * k + r) * w
                (out.baseAddress! + (row + ow * k) * c).initialize(repeating: 0, count: (w - ow * k) * c)
              }
            }
            // Rows below the last window.
            if oh * k < h {
              (out.baseAddress! + (b * h + oh * k) * w * c).initialize(repeating: 0, count: (h - oh * k) * w * c)
            }
          }
        }
      }
    }
  }
}

/// Average pooling over k×k windows with stride s (no padding) on NHWC maps.
public final class AvgPool2d: Layer {
  public let kernel: Int
  public let stride: Int
  private var inputShape: [Int] = []

  public init(kernel: Int = 2, stride: Int? = nil) {
    self.kernel = kernel
    self.stride = stride ?? kernel
  }

  public func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
    let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let oh = (h - kernel) / stride + 1
    let ow = (w - kernel) / stride + 1
    inputShape = x.shape
    var y = Tensor(shape: [n, oh, ow, c])
    let scale = 1 / Float(kernel * kernel)
    x.withUnsafeBufferPointer { src in
      y.withUnsafeMutableBufferPointer { out in
        for b in 0..<n {
          for oy in 0..<oh {
            for ox in 0..<ow {
              let o = ((b * oh + oy) * ow + ox) * c
              let row = UnsafeMutableBufferPointer(rebasing: out[o..<(o + c)])
              for ky in 0..<kernel {
                for kx in 0..<kernel {
                  let i = ((b * h + oy * stride + ky) * w + ox * stride + kx) * c
                  Elementwise.axpy(scale, UnsafeBufferPointer(rebasing: src[i..<(i + c)]), row)
                }
              }
            }
          }
        }
      }
    }
    return y
  }

  public func backward(_ dy: Tensor) -> Tensor {
    let (n, h, w, c) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
    let oh = dy.shape[1]
    let ow = dy.shape[2]
    var dx = Tensor(shape: inputShape)
    let scale = 1 / Float(kernel * kernel)
    dy.withUnsafeBufferPointer { g in
      dx.withUnsafeMutableBufferPointer { out in
        for b in 0..<n {
          for oy in 0..<oh {
            for ox in 0..<ow {
              let o = ((b * oh + oy) * ow + ox) * c
              for ky in 0..<kernel {
                for kx in 0..<kernel {
                  let i = ((b * h + oy * stride + ky) * w + ox * stride + kx) * c
                  Elementwise.axpy(
                    scale, UnsafeBufferPointer(rebasing: g[o..<(o + c)]),
                    UnsafeMutableBufferPointer(rebasing: out[i..<(i + c)]))
                }
              }
            }
          }
        }
      }
    }
    return dx
  }
}

/// `[N, H, W, C]` → `[N, C]`: the mean of each channel over the map.
public final class GlobalAvgPool: Layer {
  private var inputShape: [Int] = []

  public init() {}

  public func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
    let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    inputShape = x.shape
    var y = Tensor(shape: [n, c])
    let scale = 1 / Float(h * w)
    x.withUnsafeBufferPointer { src in
      y.withUnsafeMutableBufferPointer { out in
        for b in 0..<n {
          let row = UnsafeMutableBufferPointer(rebasing: out[(b * c)..<((b + 1) * c)])
          Elementwise.addColumnSums(
            UnsafeBufferPointer(rebasing: src[(b * h * w * c)..<((b + 1) * h * w * c)]), channels: c,
            into: row.baseAddress!)
          Elementwise.scale(scale, row)
        }
      }
    }
    return y
  }

  public func backward(_ dy: Tensor) -> Tensor {
    let (n, h, w, c) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
    let scale = 1 / Float(h * w)
    return Tensor(shape: inputShape) { out in
      dy.withUnsafeBufferPointer { g in
        for b in 0..<n {
          for p in 0..<(h * w) {
            for ch in 0..<c { out[(b * h * w + p) * c + ch] = g[b * c + ch] * scale }
          }
        }
      }
    }
  }
}
