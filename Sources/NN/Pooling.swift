import Tensor

/// Max pooling over k×k windows with stride s (no padding) on NHWC maps. Ties go to the first maximum in
/// window order, and the gradient flows only to it.
public final class MaxPool2d: Layer {
  public let kernel: Int
  public let stride: Int
  private var argmax: [Int32] = []
  private var inputShape: [Int] = []

  public init(kernel: Int = 2, stride: Int? = nil) {
    self.kernel = kernel
    self.stride = stride ?? kernel
  }

  public func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
    let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let oh = (h - kernel) / stride + 1
    let ow = (w - kernel) / stride + 1
    var y = Tensor(shape: [n, oh, ow, c], repeating: -.infinity)
    let train = context.mode == .train
    if train {
      inputShape = x.shape
      argmax = [Int32](repeating: 0, count: y.count)
    }
    x.withUnsafeBufferPointer { src in
      y.withUnsafeMutableBufferPointer { out in
        argmax.withUnsafeMutableBufferPointer { arg in
          for b in 0..<n {
            for oy in 0..<oh {
              for ox in 0..<ow {
                let o = ((b * oh + oy) * ow + ox) * c
                var ch = 0
                // Eight channels at a time: compare-and-blend of values and source indices, no branches.
                while ch + 8 <= c {
                  var best = SIMD8<Float>(repeating: -.infinity)
                  var where_ = SIMD8<Int32>(repeating: 0)
                  for ky in 0..<kernel {
                    for kx in 0..<kernel {
                      let i = ((b * h + oy * stride + ky) * w + ox * stride + kx) * c + ch
                      let v = UnsafeRawPointer(src.baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self)
                      let greater = v .> best
                      best.replace(with: v, where: greater)
                      where_.replace(with: SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7) &+ Int32(i), where: greater)
                    }
                  }
                  UnsafeMutableRawPointer(out.baseAddress! + o + ch).storeBytes(of: best, as: SIMD8<Float>.self)
                  if train {
                    UnsafeMutableRawPointer(arg.baseAddress! + o + ch).storeBytes(of: where_, as: SIMD8<Int32>.self)
                  }
                  ch += 8
                }
                for ky in 0..<kernel {
                  for kx in 0..<kernel {
                    let i = ((b * h + oy * stride + ky) * w + ox * stride + kx) * c
                    for tail in ch..<c where src[i + tail] > out[o + tail] {
                      out[o + tail] = src[i + tail]
                      if train { arg[o + tail] = Int32(i + tail) }
                    }
                  }
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
    var dx = Tensor(shape: inputShape)
    dx.withUnsafeMutableBufferPointer { out in
      dy.withUnsafeBufferPointer { g in
        argmax.withUnsafeBufferPointer { arg in
          for i in 0..<g.count { out[Int(arg[i])] += g[i] }
        }
      }
    }
    return dx
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
