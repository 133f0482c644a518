import Testing

@testable import Tensor

@Suite struct BLASTests {
  // OpenBLAS loads (with the automatic kernel choice) and reports the core it was asked for.
  @Test func loadsTheSelectedCore() throws {
    let info = try BLAS.info()
    #expect(info.blasCoreLoaded.lowercased() == info.selection.blasCoreType.lowercased())
    #expect(!info.dnnlVersion.isEmpty)
  }

  /// C = alpha·op(A)·op(B) + beta·C against a Double triple loop, with leading dimensions wider than the matrices.
  @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
  func sgemm(_ transA: Bool, _ transB: Bool) {
    let (m, n, k) = (5, 7, 3)
    let (lda, ldb, ldc) = ((transA ? m : k) + 2, (transB ? k : n) + 1, n + 3)
    let key = RandomKey(seed: 33)
    let a = key.fold(0).uniforms((transA ? k : m) * lda).map { $0 - 0.5 }
    let b = key.fold(1).uniforms((transB ? n : k) * ldb).map { $0 - 0.5 }
    var c = key.fold(2).uniforms(m * ldc).map { $0 - 0.5 }
    let (alpha, beta): (Float, Float) = (0.75, -0.5)
    var expected = c.map(Double.init)
    for i in 0..<m {
      for j in 0..<n {
        var acc = 0.0
        for p in 0..<k {
          let av = transA ? a[p * lda + i] : a[i * lda + p]
          let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
          acc += Double(av) * Double(bv)
        }
        expected[i * ldc + j] = Double(alpha) * acc + Double(beta) * Double(c[i * ldc + j])
      }
    }
    a.withUnsafeBufferPointer { ap in
      b.withUnsafeBufferPointer { bp in
        c.withUnsafeMutableBufferPointer { cp in
          BLAS.sgemm(
            transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: ap.baseAddress!, lda: lda,
            b: bp.baseAddress!, ldb: ldb, beta: beta, c: cp.baseAddress!, ldc: ldc)
        }
      }
    }
    // Padding columns of C (j ≥ n) are untouched; the rest within 1e-6.
    for i in 0..<m {
      for j in 0..<ldc {
        #expect(abs(Double(c[i * ldc + j]) - expected[i * ldc + j]) <= 1e-6, "(\(i), \(j))")
      }
    }
  }
}
