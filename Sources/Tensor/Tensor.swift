/// A dense, contiguous Float32 tensor in row-major order.
///
/// Image activations use the NHWC layout (`[batch, height, width, channels]`): channels are the fastest axis, so
/// im2col rows, per-channel statistics and channel masks are all unit-stride loops.
public struct Tensor: Sendable, Equatable {
  public private(set) var shape: [Int]
  public var storage: [Float]

  public init(shape: [Int], repeating value: Float = 0) {
    self.shape = shape
    self.storage = [Float](repeating: value, count: shape.reduce(1, *))
  }

  public init(shape: [Int], storage: [Float]) {
    precondition(shape.reduce(1, *) == storage.count, "Tensor: shape \(shape) does not match \(storage.count) values")
    self.shape = shape
    self.storage = storage
  }

  /// A tensor whose values are written once by `body` into uninitialised memory.
  public init(shape: [Int], initializingWith body: (UnsafeMutableBufferPointer<Float>) -> Void) {
    self.shape = shape
    let count = shape.reduce(1, *)
    self.storage = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      body(buffer)
      initialized = count
    }
  }

  public var count: Int { storage.count }
  public var rank: Int { shape.count }
  /// Number of rows when the tensor is seen as `[shape[0], rest]`.
  public var rows: Int { shape.first ?? 1 }
  /// Elements per leading index (per sample for a batch).
  public var rowLength: Int { rows == 0 ? 0 : count / rows }

  public func reshaped(_ newShape: [Int]) -> Tensor {
    Tensor(shape: newShape, storage: storage)
  }

  @inlinable
  public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
    try storage.withUnsafeBufferPointer(body)
  }

  @inlinable
  public mutating func withUnsafeMutableBufferPointer<R>(
    _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
  ) rethrows -> R {
    try storage.withUnsafeMutableBufferPointer(body)
  }

  /// Rows `range` of the leading axis as a new tensor (a copy).
  public func slice(rows range: Range<Int>) -> Tensor {
    var newShape = shape
    newShape[0] = range.count
    let n = rowLength
    return Tensor(shape: newShape, storage: Array(storage[(range.lowerBound * n)..<(range.upperBound * n)]))
  }

  /// The rows at `indices` of the leading axis, gathered into a new tensor.
  public func gather(rows indices: some Collection<Int>) -> Tensor {
    var newShape = shape
    newShape[0] = indices.count
    let n = rowLength
    return Tensor(shape: newShape) { out in
      storage.withUnsafeBufferPointer { src in
        for (j, i) in indices.enumerated() {
          (out.baseAddress! + j * n).update(from: src.baseAddress! + i * n, count: n)
        }
      }
    }
  }
}

extension Tensor {
  public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape) }

  public var sum: Double { storage.withUnsafeBufferPointer { Elementwise.sum($0) } }
  public var allFinite: Bool { storage.allSatisfy(\.isFinite) }
}
