#pragma once

// RAII over the C handles of libcurl and OpenSSL: wrap each on the line that
// creates it. Private to polydb_net's .cpp files (pulls in curl.h and evp.h).

#include <curl/curl.h>
#include <openssl/evp.h>

#include <memory>

namespace polydb::net {

template <auto Fn>
struct Free {
  template <class T>
  void operator()(T* p) const noexcept {
    if (p) Fn(p);
  }
};

using Curl = std::unique_ptr<CURL, Free<&curl_easy_cleanup>>;
using CurlHeaderList = std::unique_ptr<curl_slist, Free<&curl_slist_free_all>>;
using EvpMdCtx = std::unique_ptr<EVP_MD_CTX, Free<&EVP_MD_CTX_free>>;

}  // namespace polydb::net
