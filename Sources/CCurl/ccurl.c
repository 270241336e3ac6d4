#include "ccurl.h"

CURLcode ccurl_setopt_long(CURL *handle, CURLoption option, long value) { return curl_easy_setopt(handle, option, value); }
CURLcode ccurl_setopt_off(CURL *handle, CURLoption option, curl_off_t value) { return curl_easy_setopt(handle, option, value); }
CURLcode ccurl_setopt_ptr(CURL *handle, CURLoption option, void *value) { return curl_easy_setopt(handle, option, value); }
CURLcode ccurl_setopt_str(CURL *handle, CURLoption option, const char *value) { return curl_easy_setopt(handle, option, value); }
CURLcode ccurl_getinfo_long(CURL *handle, CURLINFO info, long *value) { return curl_easy_getinfo(handle, info, value); }
CURLcode ccurl_getinfo_double(CURL *handle, CURLINFO info, double *value) { return curl_easy_getinfo(handle, info, value); }
CURLcode ccurl_getinfo_str(CURL *handle, CURLINFO info, char **value) { return curl_easy_getinfo(handle, info, value); }

CURLcode ccurl_set_write_function(CURL *handle, ccurl_data_callback fn, void *context) {
    CURLcode rc = curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, fn);
    return rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_WRITEDATA, context);
}
CURLcode ccurl_set_header_function(CURL *handle, ccurl_data_callback fn, void *context) {
    CURLcode rc = curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, fn);
    return rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_HEADERDATA, context);
}
CURLcode ccurl_set_read_function(CURL *handle, ccurl_data_callback fn, void *context) {
    CURLcode rc = curl_easy_setopt(handle, CURLOPT_READFUNCTION, fn);
    return rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_READDATA, context);
}
CURLcode ccurl_set_headers(CURL *handle, struct curl_slist *list) { return curl_easy_setopt(handle, CURLOPT_HTTPHEADER, list); }
CURLcode ccurl_set_error_buffer(CURL *handle, char *buffer) { return curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, buffer); }
