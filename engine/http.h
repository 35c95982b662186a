/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * khttpd's HTTP/1.x engine: request parser and response helpers.
 *
 * Freestanding (see http_shim.h) and allocation-free, so that the very same
 * source runs in khttpd.ko, in uring-httpd, in host unit tests and under a
 * fuzzer: both servers then have one set of semantics.
 *
 * Parsing is incremental.  khttpd_http_parse() is called with everything
 * received and not yet consumed on a connection; it remembers in the parser
 * state how far it has searched for the end of the request head, so bytes
 * trickling in one at a time cost O(n) in total, and limits are enforced
 * while the head is still incomplete.  Once the head is complete it is
 * parsed in one pass, in place: the path is percent-decoded and normalised
 * inside the caller's buffer.
 */
#ifndef _KHTTPD_HTTP_H
#define _KHTTPD_HTTP_H

#include "http_shim.h"

enum khttpd_method {
	KHTTPD_METHOD_UNKNOWN = 0,	/* a token we do not know: 501 */
	KHTTPD_METHOD_GET,
	KHTTPD_METHOD_HEAD,
	KHTTPD_METHOD_OTHER,		/* known, not for static content: 405 */
};

/* Limits of what a client may send; 0 is never a valid limit. */
struct khttpd_limits {
	u32 max_request_line;	/* bytes, CRLF excluded; beyond: 414 */
	u32 max_header_bytes;	/* header section, CRLFs included: 431 */
	u32 max_header_fields;	/* field lines; beyond: 431 */
	u32 max_body;		/* request body read and discarded: 413 */
};

/*
 * (Their defaults, and the servers' timeouts, are those of the module's
 * settings: KHTTPD_CFG_*_DEF in uapi/linux/khttpd.h, for both servers.)
 */

/* If-None-Match field lines remembered per request; more: not evaluated */
#define KHTTPD_MAX_INM 4

struct khttpd_request {
	char *path;		/* decoded, normalised; in the caller's buffer */
	u32 path_len;
	u8 method;		/* enum khttpd_method */
	u8 version;		/* 10 or 11 (any 1.x above 1.1 is 11) */
	bool keep_alive;	/* the connection persists after the answer */
	u8 n_inm;		/* If-None-Match field lines seen */
	u64 body_len;		/* declared body, skipped by the parser */
	const char *inm[KHTTPD_MAX_INM];	/* If-None-Match values */
	u32 inm_len[KHTTPD_MAX_INM];
	const char *ims;	/* If-Modified-Since value, or NULL */
	u32 ims_len;
	u32 query_len;
	const char *query;	/* raw query, after the '?' (GET, HEAD), or NULL */
	/*
	 * Raw values of fields that matter only for some answers, kept at
	 * parse time and evaluated lazily (khttpd_http_range(),
	 * khttpd_http_accepts_gzip()): a request without them pays nothing.
	 * The first field line each; a repeated one sets its bit in @dup.
	 */
	const char *range;	/* Range, or NULL */
	const char *if_range;	/* If-Range, or NULL */
	const char *accept_enc;	/* Accept-Encoding, or NULL */
	u16 range_len;
	u16 if_range_len;
	u16 accept_enc_len;
	u8 dup;			/* KHTTPD_DUP_* */
	/*
	 * For the access log only, raw as received: the method token, the
	 * request target of a method other than GET and HEAD (theirs is
	 * decoded in place into @path and @query), Referer and User-Agent.
	 */
	u16 method_len;
	u16 target_len;
	u16 referer_len;
	u16 user_agent_len;
	const char *method_tok;
	const char *target;
	const char *referer;
	const char *user_agent;
};

/*
 * A field whose lines must be combined into one list (RFC 9110 section
 * 5.3) is seen twice: rather than keeping every line, the answer takes
 * the choice that is always correct, the whole representation without
 * content coding.  A value too long for its u16 length counts as repeated
 * (neither server's head limits let one through: KHTTPD_HEAD_LIMIT).
 */
enum {
	KHTTPD_DUP_RANGE	= 1 << 0,	/* Range ignored: 200 */
	KHTTPD_DUP_IF_RANGE	= 1 << 1,	/* Range ignored: 200 */
	KHTTPD_DUP_ACCEPT_ENC	= 1 << 2,	/* no gzip */
};

/*
 * Empty lines a client may send before a request line: RFC 9112 section
 * 2.2 asks that at least one be ignored (some clients send a CRLF after a
 * body); more are answered with 400.  They count as a request begun (see
 * khttpd_http_parser_busy()), so that a client sending nothing else is held
 * to the request head's timeout instead of being kept alive by them.
 */
#define KHTTPD_MAX_EMPTY_LINES 8

/* Per-connection parser state; zero it when the connection starts. */
struct khttpd_parser {
	u32 scanned;		/* head bytes already searched */
	u32 line_start;		/* where the incomplete line began */
	u32 line_end;		/* end of the request line, once found */
	u32 fields;		/* complete field lines seen */
	u32 empty_lines;	/* dropped before this request's line */
	u64 body_left;		/* body bytes still to skip */
};

/*
 * Has the next request begun: has any byte of it been received and
 * consumed or searched (empty lines dropped, part of its head, or the
 * previous request's body still to skip)?  The servers then let the
 * request's clock run instead of treating the connection as idle, and
 * more bytes do not restart it.
 */
static inline bool khttpd_http_parser_busy(const struct khttpd_parser *p)
{
	return p->scanned || p->empty_lines || p->body_left;
}

enum {
	KHTTPD_PARSE_MORE = 0,	/* need more bytes (some may be consumed) */
	KHTTPD_PARSE_REQUEST,	/* *req is a complete request */
};

/*
 * khttpd_http_parse - find and parse the next request in @buf
 * @p: the connection's parser state
 * @buf, @len: the bytes received and not yet consumed
 * @lim: limits to enforce
 * @req: filled in when a request is returned
 * @used: set to the number of bytes of @buf consumed (always set)
 *
 * Return: KHTTPD_PARSE_REQUEST, KHTTPD_PARSE_MORE, or minus the HTTP status
 * to answer before closing the connection (400, 413, 414, 431, 501, 505).
 * After a request, the caller answers it, drops @used bytes and calls again
 * for the next one; a declared body is skipped by later calls.
 */
int khttpd_http_parse(struct khttpd_parser *p, char *buf, size_t len,
		      const struct khttpd_limits *lim,
		      struct khttpd_request *req, size_t *used);

/* Reason phrase for a status code we send. */
const char *khttpd_http_reason(int status);

/* IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"): always this many bytes */
#define KHTTPD_DATE_LEN 29
void khttpd_http_date(u64 secs, char out[KHTTPD_DATE_LEN]);

/*
 * Parse an HTTP-date in any of the three formats a recipient must accept
 * (RFC 9110 section 5.6.7).  Returns false if @s is not a valid date.
 */
bool khttpd_http_parse_date(const char *s, size_t len, u64 *secs);

/*
 * The status a GET or HEAD of a resource with strong entity tag @etag
 * (quotes included) and modification time @mtime gets from the request's
 * preconditions (RFC 9110 section 13.2.2): 304 or 200.
 */
int khttpd_http_precondition(const struct khttpd_request *req,
			     const char *etag, size_t etag_len, u64 mtime);

/* What a server knows of a resource to answer a GET or HEAD of it. */
struct khttpd_resource {
	const char *etag;	/* strong entity tag, quotes included */
	u32 etag_len;
	u64 mtime;		/* Last-Modified, seconds since the epoch */
};

/*
 * A stored response is laid out as three consecutive parts, so that every
 * answer is one range of it, after the status line, Date and Connection:
 *   [ 304 header fields ][ 200 header fields ][ body ]
 * Error responses use the same layout with an empty first part.
 */
enum khttpd_part {
	KHTTPD_PART_FULL,	/* 200 header fields and body */
	KHTTPD_PART_HEADERS,	/* 200 header fields only (HEAD) */
	KHTTPD_PART_NM,		/* 304 header fields */
};

/* The lengths of a stored response's three parts. */
struct khttpd_layout {
	u32 nm_len;		/* 304 header fields (0 for an error) */
	u32 fields_len;		/* 200 (or error) header fields */
	u64 body_len;
};

/* The range of a stored response that answer part @part is. */
static inline void khttpd_http_part_range(const struct khttpd_layout *l,
					  u8 part, u64 *off, u64 *len)
{
	switch (part) {
	case KHTTPD_PART_NM:
		*off = 0;
		*len = l->nm_len;
		break;
	case KHTTPD_PART_HEADERS:
		*off = l->nm_len;
		*len = l->fields_len;
		break;
	default:
		*off = l->nm_len;
		*len = (u64)l->fields_len + l->body_len;
		break;
	}
}

struct khttpd_answer {
	int status;
	bool keep_alive;	/* connection persists after this answer */
	bool error;		/* send the stored error response for status */
	u8 part;		/* enum khttpd_part */
};

/*
 * khttpd_http_answer - decide how to answer
 * @req: the request, when @parse_status is 0
 * @parse_status: 0, or the (positive) status khttpd_http_parse() refused
 *	the request with
 * @res: the resource at req->path, or NULL if there is none
 * @a: the answer
 */
void khttpd_http_answer(const struct khttpd_request *req, int parse_status,
			const struct khttpd_resource *res,
			struct khttpd_answer *a);

/* One byte range of a representation, for a 206: first <= last < length */
struct khttpd_range {
	u64 first;
	u64 last;		/* inclusive */
};

/*
 * khttpd_http_range - what a GET's Range makes of a 200
 * @req: the request
 * @res: the selected representation's validators (its strong ETag, with
 *	quotes, and its mtime in seconds)
 * @len: the representation's length in bytes
 * @r: set to the part to send, for a 206
 *
 * Call it only when khttpd_http_answer() gave 200 for @res: the
 * preconditions (a 304) are evaluated before Range (RFC 9110 section
 * 13.2.2).  Returns 200 (send the whole representation), 206 (send *@r)
 * or 416 (send khttpd_http_unsatisfiable()).
 *
 * Choices where RFC 9110 (sections 13.1.5, 14.1, 14.2) leaves one:
 * - Only GET: Range on a HEAD is ignored (section 14.2 defines range
 *   handling for GET alone), the HEAD answered as a 200.
 * - One range-spec only: several (a comma between two non-empty
 *   elements) get the whole representation, a 200.  Section 14.2 lets a
 *   server ignore Range; multipart/byteranges is rarely asked for (a
 *   client resuming or seeking asks for one range) and costs its own
 *   body framing.  Empty list elements (section 5.6.1.2) and OWS around
 *   an element are allowed.
 * - Anything invalid is ignored (200): another unit than "bytes" (any
 *   case), no '=', a malformed range-spec, last-pos < first-pos, a
 *   first-pos beyond 2^64 - 1, a repeated Range or If-Range field line.
 *   A last-pos or suffix-length beyond 2^64 - 1 is valid and saturates:
 *   it means "to the end", as any value past the end does.
 * - An empty representation (@len 0): a suffix-range with a non-zero
 *   length is the only satisfiable kind (section 14.1.2), but a 206 has
 *   no way to say "zero bytes" (Content-Range needs first <= last): it
 *   gets a 200 with the (empty) whole; every other range-spec is 416.
 * - If-Range: the range is served only if the validator matches; else
 *   the whole (200).  An entity-tag matches when it equals @res's
 *   exactly (strong comparison: a weak W/"..." never does).  An
 *   HTTP-date (any of the three formats) matches when it is exactly
 *   @res's mtime: the representation's Last-Modified is taken as a
 *   strong validator (section 8.8.2.2), which holds unless the file
 *   changes twice within one second; clients that have an ETag send it.
 */
int khttpd_http_range(const struct khttpd_request *req,
		      const struct khttpd_resource *res, u64 len,
		      struct khttpd_range *r);

/*
 * khttpd_http_accepts_gzip - may @req be answered with a gzip variant?
 *
 * Whether its Accept-Encoding (RFC 9110 section 12.5.3) accepts the gzip
 * content coding with a weight above 0: "gzip" or "x-gzip" (any case)
 * listed with q > 0, or not listed and "*" listed with q > 0.  A coding
 * listed with q=0 (0, 0.0, 0.00, 0.000), or with a malformed weight or
 * any other parameter, is not acceptable; one listed twice is acceptable
 * only if both say so.  No Accept-Encoding, an empty one, or a repeated
 * field line (see KHTTPD_DUP_ACCEPT_ENC): false, the identity is sent.
 * Call it only for a resource that has a gzip variant.
 */
bool khttpd_http_accepts_gzip(const struct khttpd_request *req);

/* The range of a stored response (struct khttpd_layout) a 206's body is */
static inline void khttpd_http_range_part(const struct khttpd_layout *l,
					  const struct khttpd_range *r,
					  u64 *off, u64 *len)
{
	*off = (u64)l->nm_len + l->fields_len + r->first;
	*len = r->last - r->first + 1;
}

/*
 * A strong validator of fixed size (quotes included): a hash of the
 * content, fed in any number of pieces to khttpd_http_hash() starting from
 * KHTTPD_HASH_INIT, folded with its length and modification time.  Fixed
 * size so that a response's header length is known before its body is.
 */
#define KHTTPD_ETAG_LEN 18
#define KHTTPD_HASH_INIT 0xcbf29ce484222325ULL
u64 khttpd_http_hash(u64 h, const void *data, size_t len);
void khttpd_http_make_etag(char out[KHTTPD_ETAG_LEN], u64 hash, u64 len,
			   u64 mtime);

/*
 * Is @p a path khttpd_http_parse() can produce (so a request can reach
 * it)?  It starts with '/', has no control character and no "." or ".."
 * segment.
 */
bool khttpd_http_path_ok(const char *p, size_t len);

/* A representation, as its header fields describe it. */
struct khttpd_repr {
	const struct khttpd_resource *res;	/* its validators */
	const char *type;		/* Content-Type value */
	const char *cache_control;	/* Cache-Control value, or NULL */
	u64 len;			/* length of the whole, in bytes */
	u8 flags;			/* KHTTPD_REPR_* */
};

/*
 * A resource with a gzip variant has two representations, each with its
 * own strong ETag (RFC 9110 section 8.8.3: a validator is for one
 * representation, and ranges of one are not ranges of the other).  Both
 * say that the choice depends on Accept-Encoding, in every answer a cache
 * may store (200, 206, 304: section 12.5.5); the gzip one also says how
 * its content is coded, in the answers that carry content.
 */
enum {
	KHTTPD_REPR_VARY	= 1 << 0,	/* Vary: Accept-Encoding */
	KHTTPD_REPR_GZIP	= 1 << 1,	/* Content-Encoding: gzip (and Vary) */
};

/*
 * khttpd_http_fields - header fields of an answer with a representation
 * @out, @cap: where to write them
 * @rep: the representation
 * @status: 200, 206 or 304
 * @range: the part a 206 sends (khttpd_http_range()); else unused
 *
 * Each field ends in CRLF, then the empty line.  A 200: Server,
 * Content-Type, [Content-Encoding,] Content-Length, Accept-Ranges, ETag,
 * Last-Modified, [Vary,] [Cache-Control].  A 206: the same with the
 * part's Content-Length and a Content-Range after it; at most
 * KHTTPD_RANGE_EXTRA bytes longer than the 200's.  A 304: Server, ETag,
 * Last-Modified, [Vary,] [Cache-Control] (section 15.4.5: no content
 * fields).  Returns the length, or 0 if @cap is too small or @status is
 * none of these.
 */
size_t khttpd_http_fields(char *out, size_t cap, const struct khttpd_repr *rep,
			  int status, const struct khttpd_range *range);

/* "Content-Range: bytes " + 3 u64 + "-" + "/" + CRLF */
#define KHTTPD_RANGE_EXTRA (21 + 3 * 20 + 2 + 2)

/* The stored fields of a resource without variants: a 200's or a 304's. */
static inline size_t
khttpd_http_resource_fields(char *out, size_t cap,
			    const struct khttpd_resource *r, const char *type,
			    const char *cache_control, u64 body_len,
			    bool not_modified)
{
	const struct khttpd_repr rep = {
		.res = r, .type = type, .cache_control = cache_control,
		.len = body_len,
	};

	return khttpd_http_fields(out, cap, &rep, not_modified ? 304 : 200,
				  NULL);
}

/*
 * The statuses a server answers with a prebuilt error response: every one
 * khttpd_http_parse() and khttpd_http_answer() can produce, 408 and 503,
 * and a docroot's 403.
 * khttpd_http_error_index() is where @status is in the list, or 500's
 * place for a status that is not there (a bug).
 */
#define KHTTPD_N_ERRORS 12
extern const int khttpd_http_error_status[KHTTPD_N_ERRORS];
unsigned int khttpd_http_error_index(int status);

/*
 * Header fields and body of the error response for @status (a short text
 * body naming the status).  Returns the length, or 0 if @cap is too small;
 * *@fields_len is set to the length of the header fields part.
 */
size_t khttpd_http_error_response(char *out, size_t cap, int status,
				  size_t *fields_len);

/*
 * khttpd_http_unsatisfiable - header fields and body of a 416
 * @rep: the representation a range was asked of (its len and flags)
 *
 * Like an error response (a short text body, so that a person sees what
 * happened), with a Content-Range of the unsatisfied-range form (bytes,
 * then "*" "/" and the length: RFC 9110 section 14.4) and, for a resource
 * with a gzip variant, Vary.  Not one of the prebuilt errors
 * (khttpd_http_error_status[]): the length is the representation's.  At
 * most KHTTPD_UNSATISFIABLE_MAX bytes; returns the length, or 0 if @cap
 * is too small; *@fields_len is set to the length of the fields part.
 */
size_t khttpd_http_unsatisfiable(char *out, size_t cap,
				 const struct khttpd_repr *rep,
				 size_t *fields_len);

#define KHTTPD_UNSATISFIABLE_MAX 192

/*
 * khttpd_http_redirect - header fields and body of a 301 to a directory
 * @path, @path_len: the directory's decoded, normalised path, as
 *	req->path is, without the trailing '/' the redirect adds
 * @query, @query_len: the raw query (req->query), or NULL for none
 * @fields_len: set to the length of the fields part (a HEAD's answer)
 *
 * Like an error response (a short text body), with Location: the path
 * and '/', then '?' and the query if there is one.  Location is safe
 * whatever the bytes given: in the path every byte but unreserved,
 * sub-delims, ':', '@' and '/' is percent-encoded ('%' too: the path is
 * decoded), in the query the same but '?' and '%' (it is still encoded),
 * so no CR, LF, SP, control or non-ASCII byte reaches the field; and a
 * path starting "//", which would send the client to another host, has
 * its second '/' encoded ("/%2F...": the same path once decoded).
 * Returns the length, at most KHTTPD_REDIRECT_MAX(), or 0 if @cap is too
 * small, or if @path does not start with '/' or already ends with one
 * (the redirect would loop).
 */
size_t khttpd_http_redirect(char *out, size_t cap, const char *path,
			    size_t path_len, const char *query,
			    size_t query_len, size_t *fields_len);

#define KHTTPD_REDIRECT_MAX(path_len, query_len) \
	(128 + 3 * ((size_t)(path_len) + (query_len)))

/*
 * khttpd_http_docroot_name - the file a request path names in a docroot
 * @path, @len: req->path (decoded, normalised, starting with '/')
 * @out, @cap: receives the name relative to the docroot, NUL-terminated:
 *	@path without its leading '/', and "index.html" after a final '/'
 *	(a directory is served by its index file, never listed)
 *
 * Returns the name's length, or 0 when @path names nothing a docroot
 * serves: a segment that starts with '.' (hidden files, ".git",
 * ".htpasswd"; after normalisation no "." or ".." is left, so this is
 * about names), except a first segment ".well-known" (RFC 8615); a NUL
 * byte; or a name that does not fit @cap.  Both servers map paths with
 * it, so they serve and refuse the same names.
 */
size_t khttpd_http_docroot_name(const char *path, size_t len, char *out,
				size_t cap);

#define KHTTPD_INDEX_NAME "index.html"

/*
 * The extension of file name @name (@len bytes): what follows the last '.'
 * of its last segment, or NULL (*@ext_len 0) when it has none or the '.'
 * starts that segment.
 */
const char *khttpd_http_extension(const char *name, size_t len,
				  size_t *ext_len);

/*
 * Write into @out the start of a response: status line, Date and, if the
 * connection's persistence needs saying, Connection.  @date is the cached
 * IMF-fixdate.  Returns the length, or 0 if @cap is too small.
 */
size_t khttpd_http_head(char *out, size_t cap, int status, u8 version,
			bool keep_alive, const char *date);

#define KHTTPD_HEAD_MAX 128	/* enough for any khttpd_http_head() */

/*
 * khttpd_http_consume - answer the whole requests at the start of @buf
 * @p, @buf, @len, @lim: as for khttpd_http_parse()
 * @more: may another answer be queued now?  Asked before each request.
 * @answer: queue the answer to a request (@status 0) or the refusal
 *	@status; false if it could not (out of memory)
 * @ctx: passed to both
 *
 * Requests are answered in order while @more says so; after a refusal
 * nothing more of @buf counts (the connection closes).  Returns the bytes
 * consumed, or -1 if @answer failed.  Inline, so that each server's
 * callbacks are direct calls on its hot path.
 */
static inline long khttpd_http_consume(struct khttpd_parser *p, char *buf,
				       size_t len,
				       const struct khttpd_limits *lim,
				       bool (*more)(void *ctx),
				       bool (*answer)(void *ctx,
						      const struct khttpd_request *req,
						      int status),
				       void *ctx)
{
	struct khttpd_request req;
	size_t done = 0, used;
	int ret;

	while (done < len && more(ctx)) {
		ret = khttpd_http_parse(p, buf + done, len - done, lim, &req,
					&used);
		done += used;
		if (ret == KHTTPD_PARSE_MORE)
			break;
		if (!answer(ctx, &req, ret < 0 ? -ret : 0))
			return -1;
		if (ret < 0)
			return len;	/* nothing after a refusal counts */
	}
	return done;
}

#endif /* _KHTTPD_HTTP_H */
