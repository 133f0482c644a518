/// A parsed IDX array (the MNIST / Fashion-MNIST container): unsigned bytes with big-endian dimensions.
///
/// The values are not copied out of the file: `bytes[payloadOffset...]` holds them in row-major order.
public struct IDXArray: Sendable {
  /// What the file's magic number says it holds.
  public enum Kind: Sendable, Equatable {
    /// Magic 0x00000803: `[count, rows, columns]` of `UInt8` pixels.
    case images
    /// Magic 0x00000801: `[count]` of `UInt8` labels.
    case labels
  }

  public let kind: Kind
  /// The dimensions from the header, outermost first.
  public let dimensions: [Int]
  /// The whole decompressed file.
  public let bytes: [UInt8]
  /// Index in `bytes` of the first value.
  public let payloadOffset: Int

  /// Number of items (the outermost dimension).
  public var count: Int { dimensions[0] }
}

/// Parser for IDX files.
public enum IDX {
  /// Parses and validates an IDX file of unsigned bytes.
  ///
  /// - Parameters:
  ///   - bytes: the decompressed file.
  ///   - source: names the file in error messages.
  ///   - kind: if given, the file must hold this kind of array.
  /// - Throws: `DataError.malformedIDX` for a bad magic number, an unsupported element type, a header that is cut
  ///   short, or a payload whose size differs from the product of the dimensions.
  public static func parse(_ bytes: [UInt8], source: String, expecting kind: IDXArray.Kind? = nil) throws -> IDXArray {
    guard bytes.count >= 4 else {
      throw DataError.malformedIDX(source: source, reason: "only \(bytes.count) bytes, shorter than the magic number")
    }
    let magic = readBigEndian(bytes, at: 0)
    let found: IDXArray.Kind
    switch magic {
    case 0x0000_0803: found = .images
    case 0x0000_0801: found = .labels
    default:
      throw DataError.malformedIDX(
        source: source,
        reason: "magic number 0x\(String(magic, radix: 16)) is neither 0x803 (images) nor 0x801 (labels)")
    }
    if let kind, kind != found {
      throw DataError.malformedIDX(source: source, reason: "expected \(kind) but the magic number says \(found)")
    }
    let rank = found == .images ? 3 : 1
    let headerSize = 4 + 4 * rank
    guard bytes.count >= headerSize else {
      throw DataError.malformedIDX(source: source, reason: "header cut short (\(bytes.count) of \(headerSize) bytes)")
    }
    let dimensions = (0..<rank).map { Int(readBigEndian(bytes, at: 4 + 4 * $0)) }
    // Dimensions are at most 2^32 - 1 each, so the product of three fits comfortably in Int64 only if checked.
    let (expected, overflow) = dimensions.reduce((1, false)) { acc, d in
      let (product, o) = acc.0.multipliedReportingOverflow(by: d)
      return (product, acc.1 || o)
    }
    let payload = bytes.count - headerSize
    guard !overflow, expected == payload else {
      throw DataError.malformedIDX(
        source: source,
        reason: "dimensions \(dimensions) need \(overflow ? "too many" : String(expected)) bytes "
          + "but the file has \(payload)")
    }
    return IDXArray(kind: found, dimensions: dimensions, bytes: bytes, payloadOffset: headerSize)
  }

  static func readBigEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
      | UInt32(bytes[offset + 3])
  }
}
