/// The shape of a 2-D convolution over NHWC activations with `[out, kh, kw, in]` (OHWI) weights.
public struct ConvGeometry: Hashable, Sendable {
  public var batch: Int
  public var height: Int
  public var width: Int
  public var inChannels: Int
  public var outChannels: Int
  public var kernel: Int
  public var stride: Int
  public var padding: Int

  public init(
    batch: Int, height: Int, width: Int, inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1,
    padding: Int = 0
  ) {
    self.batch = batch
    self.height = height
    self.width = width
    self.inChannels = inChannels
    self.outChannels = outChannels
    self.kernel = kernel
    self.stride = stride
    self.padding = padding
  }

  public var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
  public var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
  public var inputShape: [Int] { [batch, height, width, inChannels] }
  public var outputShape: [Int] { [batch, outHeight, outWidth, outChannels] }
  public var weightShape: [Int] { [outChannels, kernel, kernel, inChannels] }
  /// Length of one im2col row: kh · kw · C_in.
  public var patchSize: Int { kernel * kernel * inChannels }
  /// Multiply-adds of one forward pass.
  public var forwardMACs: Int { batch * outHeight * outWidth * outChannels * patchSize }
  /// A 1×1, stride-1, unpadded convolution is a plain GEMM on the input: no im2col needed.
  var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }
}

/// A convolution implementation: forward, gradient with respect to the input, and gradient with respect to the
/// weights (accumulated). The layer owns the tensors; a backend may cache per-geometry state between calls.
public protocol ConvolutionBackend: AnyObject {
  /// y = conv(x, w) + bias
  func forward(_ x: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvGeometry) -> Tensor
  /// dx = conv_transpose(dy, w)
  func backwardData(_ dy: Tensor, weight: Tensor, geometry: ConvGeometry) -> Tensor
  /// dw += correlate(x, dy), dbias += Σ dy. `x` is the input of the most recent `forward` call.
  func backwardWeights(
    _ dy: Tensor, input x: Tensor, geometry: ConvGeometry, gradWeight: inout Tensor, gradBias: inout Tensor?)
}

/// im2col + `cblas_sgemm`. With NHWC activations and OHWI weights the im2col matrix is `[N·OH·OW, kh·kw·C_in]`
/// and the output `[N·OH·OW, C_out]` is already NHWC: forward is one GEMM against Wᵀ with no transposes.
/// Measured faster than oneDNN for single-channel stems (notes/engine-speed.md).
public final class Im2colConvolution: ConvolutionBackend {
  /// The im2col matrix of the last forward input, reused by `backwardWeights` for the same input.
  private var columns: [Float] = []
  private var columnsGeometry: ConvGeometry?

  public init() {}

  public func forward(_ x: Tensor, weight: Tensor, bias: Tensor?, geometry g: ConvGeometry) -> Tensor {
    let rows = g.batch * g.outHeight * g.outWidth
    var y = Tensor(shape: g.outputShape)
    withColumns(x, g) { cols in
      weight.withUnsafeBufferPointer { w in
        y.withUnsafeMutableBufferPointer { out in
          BLAS.sgemm(
            transA: false, transB: true, m: rows, n: g.outChannels, k: g.patchSize,
            a: cols.baseAddress!, lda: g.patchSize, b: w.baseAddress!, ldb: g.patchSize,
            c: out.baseAddress!, ldc: g.outChannels)
          if let bias { Self.addBias(bias, out, channels: g.outChannels) }
        }
      }
    }
    return y
  }

  public func backwardData(_ dy: Tensor, weight: Tensor, geometry g: ConvGeometry) -> Tensor {
    let rows = g.batch * g.outHeight * g.outWidth
    if g.isPointwise {
      var dx = Tensor(shape: g.inputShape)
      dy.withUnsafeBufferPointer { d in
        weight.withUnsafeBufferPointer { w in
          dx.withUnsafeMutableBufferPointer { out in
            BLAS.sgemm(
              transA: false, transB: false, m: rows, n: g.inChannels, k: g.outChannels,
              a: d.baseAddress!, lda: g.outChannels, b: w.baseAddress!, ldb: g.inChannels,
              c: out.baseAddress!, ldc: g.inChannels)
          }
        }
      }
      return dx
    }
    var dcols = [Float](repeating: 0, count: rows * g.patchSize)
    dy.withUnsafeBufferPointer { d in
      weight.withUnsafeBufferPointer { w in
        dcols.withUnsafeMutableBufferPointer { out in
          BLAS.sgemm(
            transA: false, transB: false, m: rows, n: g.patchSize, k: g.outChannels,
            a: d.baseAddress!, lda: g.outChannels, b: w.baseAddress!, ldb: g.patchSize,
            c: out.baseAddress!, ldc: g.patchSize)
        }
      }
    }
    var dx = Tensor(shape: g.inputShape)
    dcols.withUnsafeBufferPointer { cols in
      dx.withUnsafeMutableBufferPointer { out in Self.col2im(cols, out, g) }
    }
    return dx
  }

  public func backwardWeights(
    _ dy: Tensor, input x: Tensor, geometry g: ConvGeometry, gradWeight: inout Tensor, gradBias: inout Tensor?
  ) {
    let rows = g.batch * g.outHeight * g.outWidth
    withColumns(x, g, reuse: true) { cols in
      dy.withUnsafeBufferPointer { d in
        gradWeight.withUnsafeMutableBufferPointer { gw in
          BLAS.sgemm(
            transA: true, transB: false, m: g.outChannels, n: g.patchSize, k: rows,
            a: d.baseAddress!, lda: g.outChannels, b: cols.baseAddress!, ldb: g.patchSize,
            beta: 1, c: gw.baseAddress!, ldc: g.patchSize)
        }
        if gradBias != nil {
          gradBias!.withUnsafeMutableBufferPointer { gb in
            Elementwise.addColumnSums(d, channels: g.outChannels, into: gb.baseAddress!)
          }
        }
      }
    }
  }

  /// Calls `body` with the im2col matrix of `x`. The protocol's contract (backward follows the forward of the same
  /// input) lets `backwardWeights` reuse the matrix the forward pass built; `reuse` marks that call.
  private func withColumns(
    _ x: Tensor, _ g: ConvGeometry, reuse: Bool = false, _ body: (UnsafeBufferPointer<Float>) -> Void
  ) {
    if g.isPointwise {
      x.withUnsafeBufferPointer(body)
      return
    }
    if !(reuse && columnsGeometry == g) {
      let count = g.batch * g.outHeight * g.outWidth * g.patchSize
      if columns.count != count { columns = [Float](repeating: 0, count: count) }
      columns.withUnsafeMutableBufferPointer { cols in
        x.withUnsafeBufferPointer { src in Self.im2col(src, cols, g) }
      }
      columnsGeometry = g
    }
    columns.withUnsafeBufferPointer(body)
  }

  static func addBias(_ bias: Tensor, _ out: UnsafeMutableBufferPointer<Float>, channels: Int) {
    bias.withUnsafeBufferPointer { b in
      let rows = out.count / channels
      for r in 0..<rows {
        Elementwise.axpy(1, b, UnsafeMutableBufferPointer(rebasing: out[(r * channels)..<((r + 1) * channels)]))
      }
    }
  }

  static func im2col(_ x: UnsafeBufferPointer<Float>, _ cols: UnsafeMutableBufferPointer<Float>, _ g: ConvGeometry) {
    let c = g.inChannels
    let k = g.kernel
    let (h, w, oh, ow) = (g.height, g.width, g.outHeight, g.outWidth)
    var row = cols.baseAddress!
    for n in 0..<g.batch {
      let image = x.baseAddress! + n * h * w * c
      for oy in 0..<oh {
        for ox in 0..<ow {
          var dst = row
          for ky in 0..<k {
            let iy = oy * g.stride - g.padding + ky
            if iy < 0 || iy >= h {
              dst.update(repeating: 0, count: k * c)
              dst += k * c
              continue
            }
            for kx in 0..<k {
              let ix = ox * g.stride - g.padding + kx
              if ix < 0 || ix >= w {
                dst.update(repeating: 0, count: c)
              } else {
                dst.update(from: image + (iy * w + ix) * c, count: c)
              }
              dst += c
            }
          }
          row += g.patchSize
        }
      }
    }
  }

  static func col2im(_ cols: UnsafeBufferPointer<Float>, _ x: UnsafeMutableBufferPointer<Float>, _ g: ConvGeometry) {
    let c = g.inChannels
    let k = g.kernel
    let (h, w, oh, ow) = (g.height, g.width, g.outHeight, g.outWidth)
    var row = cols.baseAddress!
    for n in 0..<g.batch {
      let image = x.baseAddress! + n * h * w * c
      for oy in 0..<oh {
        for ox in 0..<ow {
          var src = row
          for ky in 0..<k {
            let iy = oy * g.stride - g.padding + ky
            if iy < 0 || iy >= h {
              src += k * c
              continue
            }
            for kx in 0..<k {
              let ix = ox * g.stride - g.padding + kx
              if ix >= 0 && ix < w {
                Elementwise.axpy(
                  1, UnsafeBufferPointer(start: src, count: c),
                  UnsafeMutableBufferPointer(start: image + (iy * w + ix) * c, count: c))
              }
              src += c
            }
          }
          row += g.patchSize
        }
      }
    }
  }
}

/// Direct seven-loop convolution in Double: the slow reference every backend is tested against.
public enum ReferenceConvolution {
  public static func forward(_ x: Tensor, weight: Tensor, bias: Tensor?, geometry g: ConvGeometry) -> [Double] {
    var y = [Double](repeating: 0, count: g.outputShape.reduce(1, *))
    for n in 0..<g.batch {
      for oy in 0..<g.outHeight {
        for ox in 0..<g.outWidth {
          for o in 0..<g.outChannels {
            var acc = Double(bias?.storage[o] ?? 0)
            for ky in 0..<g.kernel {
              for kx in 0..<g.kernel {
                let iy = oy * g.stride - g.padding + ky
                let ix = ox * g.stride - g.padding + kx
                guard iy >= 0, iy < g.height, ix >= 0, ix < g.width else { continue }
                for i in 0..<g.inChannels {
                  let xv = x.storage[((n * g.height + iy) * g.width + ix) * g.inChannels + i]
                  let wv = weight.storage[((o * g.kernel + ky) * g.kernel + kx) * g.inChannels + i]
                  acc += Double(xv) * Double(wv)
                }
              }
            }
            y[((n * g.outHeight + oy) * g.outWidth + ox) * g.outChannels + o] = acc
          }
        }
      }
    }
    return y
  }
}
