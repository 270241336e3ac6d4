// Non-variadic wrappers around libcurl, which Swift cannot call directly
// (curl_easy_setopt and curl_easy_getinfo are variadic).
#ifndef CCURL_H
#define CCURL_H
#include <curl/curl.h>

CURLcode ccurl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode ccurl_setopt_off(CURL *handle, CURLoption option, curl_off_t value);
CURLcode ccurl_setopt_ptr(CURL *handle, CURLoption option, void *value);
CURLcode ccurl_setopt_str(CURL *handle, CURLoption option, const char *value);
CURLcode ccurl_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode ccurl_getinfo_double(CURL *handle, CURLINFO info, double *value);
CURLcode ccurl_getinfo_str(CURL *handle, CURLINFO info, char **value);

/// Data callbacks (write, header, read) share curl's signature: (buffer, size, count, context).
typedef size_t (*ccurl_data_callback)(char *buffer, size_t size, size_t count, void *context);
CURLcode ccurl_set_write_function(CURL *handle, ccurl_data_callback fn, void *context);
CURLcode ccurl_set_header_function(CURL *handle, ccurl_data_callback fn, void *context);
CURLcode ccurl_set_read_function(CURL *handle, ccurl_data_callback fn, void *context);
CURLcode ccurl_set_headers(CURL *handle, struct curl_slist *list);
CURLcode ccurl_set_error_buffer(CURL *handle, char *buffer);

#endif
