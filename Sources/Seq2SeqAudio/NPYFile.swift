// Reading float32 matrices from NumPy .npy files. Format facts from numpy's
// `numpy/lib/format.py` (NEP 1): magic "\x93NUMPY", version byte pair, a little-endian
// header length (2 bytes in 1.0, 4 bytes in 2.0/3.0), then a Python dict literal with
// 'descr', 'fortran_order' and 'shape', padded with spaces to a 64-byte boundary.
import Foundation
import Seq2SeqTensor

/// NumPy `.npy` files.
public enum NPYFile {
    /// Reads a 2-D little-endian float32 array in C order (e.g. `--input-features`, [n_mels, F]).
    /// Any other dtype, order, rank or a damaged file throws `AudioFileError`.
    public static func readFloat32Matrix(path: String) throws -> Tensor {
        let bytes = [UInt8](try readWholeFile(path))
        func fail(_ problem: String) -> AudioFileError { AudioFileError(path, problem) }
        guard !bytes.isEmpty else { throw fail("empty file") }
        guard bytes.count >= 10, bytes[0..<6].elementsEqual([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) else {
            throw fail("not a .npy file (no \\x93NUMPY magic)")
        }
        let major = Int(bytes[6])
        guard (1...3).contains(major) else { throw fail(".npy format version \(major) is not supported") }
        let lengthBytes = major == 1 ? 2 : 4
        guard bytes.count >= 8 + lengthBytes else { throw fail("truncated .npy header") }
        let headerLength = (0..<lengthBytes).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        let headerStart = 8 + lengthBytes
        guard headerLength <= bytes.count - headerStart else {
            throw fail("truncated: the header declares \(headerLength) bytes but only \(bytes.count - headerStart) follow")
        }
        let header = String(decoding: bytes[headerStart..<headerStart + headerLength], as: UTF8.self)
        let (descr, fortran, shape) = try parseHeader(header, fail)
        guard descr == "<f4" || descr == "=f4" else { throw fail("dtype '\(descr)' is not little-endian float32 ('<f4')") }
        guard !fortran else { throw fail("Fortran-order arrays are not supported (save with C order)") }
        guard shape.count == 2 else { throw fail("expected a 2-D array [n_mels, frames], got shape \(shape)") }
        let dataStart = headerStart + headerLength
        let (count, overflow) = shape[0].multipliedReportingOverflow(by: shape[1])
        guard !overflow, count <= (bytes.count - dataStart) / 4 else {
            throw fail("truncated: shape \(shape) needs \(overflow ? "too many" : "\(count * 4)") bytes of data, the file has \(bytes.count - dataStart)")
        }
        let tensor = Tensor(zeros: shape)
        bytes.withUnsafeBytes { raw in
            for i in 0..<count {
                tensor.data[i] = Float(bitPattern: raw.loadUnaligned(fromByteOffset: dataStart + 4 * i, as: UInt32.self).littleEndian)
            }
        }
        return tensor
    }

    /// The three keys of the header dict, parsed without a Python evaluator.
    private static func parseHeader(_ header: String, _ fail: (String) -> AudioFileError) throws -> (String, Bool, [Int]) {
        func value(of key: String) -> Substring? {
            guard let keyRange = header.range(of: "'\(key)'"),
                  let colon = header[keyRange.upperBound...].firstIndex(of: ":") else { return nil }
            return header[header.index(after: colon)...].drop { $0 == " " }
        }
        guard let descrText = value(of: "descr"), descrText.first == "'",
              let close = descrText.dropFirst().firstIndex(of: "'") else { throw fail("header has no 'descr' string") }
        let descr = String(descrText[descrText.index(after: descrText.startIndex)..<close])
        guard let fortranText = value(of: "fortran_order") else { throw fail("header has no 'fortran_order'") }
        let fortran: Bool
        if fortranText.hasPrefix("True") { fortran = true } else if fortranText.hasPrefix("False") { fortran = false } else {
            throw fail("header 'fortran_order' is neither True nor False")
        }
        guard let shapeText = value(of: "shape"), shapeText.first == "(",
              let end = shapeText.firstIndex(of: ")") else { throw fail("header has no 'shape' tuple") }
        let parts = shapeText[shapeText.index(after: shapeText.startIndex)..<end]
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var shape: [Int] = []
        for part in parts {
            guard let dim = Int(part), dim >= 0 else { throw fail("header shape has a bad dimension '\(part)'") }
            shape.append(dim)
        }
        return (descr, fortran, shape)
    }
}
