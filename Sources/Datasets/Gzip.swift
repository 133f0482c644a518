import CZlib

/// Whole-buffer gzip decompression through zlib's `inflate`.
public enum Gzip {
  /// Decompresses a complete gzip file held in memory (concatenated members are joined, as `gunzip` does).
  ///
  /// - Parameter source: names the data in error messages (usually its path).
  /// - Throws: `DataError.corruptGzip` for truncated, corrupted or non-gzip input; never traps on bad bytes.
  public static func decompress(_ compressed: [UInt8], source: String) throws -> [UInt8] {
    guard compressed.count >= 18, compressed[0] == 0x1f, compressed[1] == 0x8b else {
      throw DataError.corruptGzip(source: source, reason: "missing gzip header")
    }
    // The trailer's ISIZE (length mod 2^32) of the last member is a good first guess for the output size, which
    // saves re-growing a 47 MB buffer; it is only a hint, capped by deflate's maximum ratio (~1032:1) so a
    // corrupted trailer cannot demand gigabytes.
    let n = compressed.count
    let hinted =
      Int(compressed[n - 4]) | Int(compressed[n - 3]) << 8 | Int(compressed[n - 2]) << 16
      | Int(compressed[n - 1]) << 24
    var output = [UInt8](repeating: 0, count: max(1 << 16, min(hinted, 1 << 30, 1032 * n)) + 1)
    var produced = 0

    var stream = z_stream()
    // windowBits 16 + MAX_WBITS selects the gzip wrapper (header + CRC-32 + ISIZE) instead of raw zlib.
    var status = inflateInit2_(&stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    guard status == Z_OK else { throw DataError.corruptGzip(source: source, reason: "inflateInit failed (\(status))") }
    defer { inflateEnd(&stream) }

    try compressed.withUnsafeBufferPointer { input in
      stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress!)
      stream.avail_in = UInt32(input.count)
      while true {
        if produced == output.count { output.append(contentsOf: repeatElement(0, count: output.count)) }
        let room = min(output.count - produced, Int(UInt32.max))
        status = output.withUnsafeMutableBufferPointer { out in
          stream.next_out = out.baseAddress! + produced
          stream.avail_out = UInt32(room)
          let result = inflate(&stream, Z_NO_FLUSH)
          produced += room - Int(stream.avail_out)
          return result
        }
        switch status {
        case Z_OK:
          continue
        case Z_STREAM_END:
          // Another member may follow (`cat a.gz b.gz`); anything else after the end is trailing garbage.
          if stream.avail_in == 0 { return }
          if stream.next_in[0] != 0x1f {
            throw DataError.corruptGzip(source: source, reason: "trailing bytes after the gzip stream")
          }
          guard inflateReset(&stream) == Z_OK else {
            throw DataError.corruptGzip(source: source, reason: "cannot restart for the next gzip member")
          }
        case Z_BUF_ERROR where stream.avail_in == 0:
          throw DataError.corruptGzip(source: source, reason: "unexpected end of data after \(produced) bytes")
        case Z_BUF_ERROR:
          continue
        default:
          let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
          throw DataError.corruptGzip(source: source, reason: message)
        }
      }
    }
    output.removeLast(output.count - produced)
    return output
  }
}
