// SPDX-License-Identifier: GPL-2.0
/*
 * khttpd-tlsd: the GnuTLS side.  One certificate and key, loaded at start,
 * serve every handshake.  Sessions are TLS 1.3 only, with the AEADs kTLS
 * offers for 1.3 (AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305), no session
 * tickets and no early data: after the handshake nothing but application
 * records is left for kTLS to meet.
 *
 * The transport is the kernel's socket, shared with its owner (the same
 * struct file): we never change its file flags (O_NONBLOCK would reach the
 * owner's file operations too) but pass MSG_DONTWAIT on each call.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/tls.h>

#include "tlsd.h"

#ifndef SOL_TLS
#define SOL_TLS		282
#endif
#ifndef TCP_ULP
#define TCP_ULP		31
#endif

/*
 * TLS 1.3 and the ciphers kTLS can take over, in our order (the cheapest
 * first: clients such as OpenSSL put AES-256-GCM first); any signature.
 * Our order counts for groups too: X25519 first, the one whose key share
 * clients send (GnuTLS's own order starts with P-256, which made OpenSSL
 * clients pay a HelloRetryRequest).  Not %COMPAT: a 1.3 server need not
 * send the middlebox compatibility ChangeCipherSpec.
 */
#define DEFAULT_PRIORITY "NONE:+VERS-TLS1.3:+AES-128-GCM:+AES-256-GCM:" \
	"+CHACHA20-POLY1305:+AEAD:+COMP-NULL:+GROUP-X25519:+GROUP-SECP256R1:" \
	"+GROUP-ALL:+SIGN-ALL:+CTYPE-X509:%NO_TICKETS:%SERVER_PRECEDENCE"

static gnutls_certificate_credentials_t cred;
static gnutls_priority_t prio;

static void gnutls_logger(int level, const char *msg)
{
	tlsd_log(3, "gnutls[%d]: %s", level, msg);
}

int session_global_init(const char *cert, const char *key,
			const char *priority)
{
	const char *where = NULL;
	int ret;

	if (tlsd_verbose >= 3) {
		gnutls_global_set_log_function(gnutls_logger);
		gnutls_global_set_log_level(tlsd_verbose - 1);
	}
	ret = gnutls_certificate_allocate_credentials(&cred);
	if (ret < 0)
		goto fail;
	ret = gnutls_certificate_set_x509_key_file2(cred, cert, key,
						    GNUTLS_X509_FMT_PEM,
						    NULL, 0);
	if (ret < 0) {
		pr_err("loading %s and %s: %s\n", cert, key,
		       gnutls_strerror(ret));
		goto fail_cred;
	}
	if (!priority)
		priority = DEFAULT_PRIORITY;
	ret = gnutls_priority_init2(&prio, priority, &where, 0);
	if (ret < 0) {
		pr_err("priority string \"%s\": %s at \"%s\"\n", priority,
		       gnutls_strerror(ret), where ? where : "?");
		goto fail_cred;
	}
	return 0;

fail_cred:
	gnutls_certificate_free_credentials(cred);
	cred = NULL;
	return -EINVAL;
fail:
	pr_err("gnutls: %s\n", gnutls_strerror(ret));
	return -ENOMEM;
}

void session_global_exit(void)
{
	if (prio)
		gnutls_priority_deinit(prio);
	if (cred)
		gnutls_certificate_free_credentials(cred);
	prio = NULL;
	cred = NULL;
}

static int transport_fd(gnutls_transport_ptr_t p)
{
	return (int)(intptr_t)p;
}

static ssize_t pull(gnutls_transport_ptr_t p, void *buf, size_t len)
{
	return recv(transport_fd(p), buf, len, MSG_DONTWAIT);
}

static ssize_t vec_push(gnutls_transport_ptr_t p, const giovec_t *iov,
			int iovcnt)
{
	struct msghdr msg = {
		.msg_iov = (struct iovec *)iov,
		.msg_iovlen = iovcnt,
	};

	return sendmsg(transport_fd(p), &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
}

int session_new(gnutls_session_t *sp, int fd)
{
	gnutls_session_t s;
	int ret;

	ret = gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NONBLOCK |
			  GNUTLS_NO_TICKETS | GNUTLS_NO_SIGNAL);
	if (ret < 0)
		return ret;
	ret = gnutls_priority_set(s, prio);
	if (!ret)
		ret = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	if (ret < 0) {
		gnutls_deinit(s);
		return ret;
	}
	gnutls_certificate_server_set_request(s, GNUTLS_CERT_IGNORE);
	/* the main loop keeps the kernel's deadline */
	gnutls_handshake_set_timeout(s, 0);
	gnutls_transport_set_ptr(s, (gnutls_transport_ptr_t)(intptr_t)fd);
	gnutls_transport_set_pull_function(s, pull);
	gnutls_transport_set_vec_push_function(s, vec_push);
	*sp = s;
	return 0;
}

/*
 * The -errno for DONE of a failed handshake: the peer went away or broke
 * the connection, or else the TLS negotiation itself failed.
 */
int session_status(int err)
{
	switch (err) {
	case GNUTLS_E_PREMATURE_TERMINATION:
	case GNUTLS_E_PULL_ERROR:
	case GNUTLS_E_PUSH_ERROR:
		return -ECONNRESET;
	case GNUTLS_E_MEMORY_ERROR:
		return -ENOMEM;
	default:
		return -EACCES;
	}
}

const char *session_describe(gnutls_session_t s, char *buf, size_t len)
{
	const char *v = gnutls_protocol_get_name(gnutls_protocol_get_version(s));
	const char *c = gnutls_cipher_get_name(gnutls_cipher_get(s));
	const char *g = gnutls_group_get_name(gnutls_group_get(s));

	snprintf(buf, len, "%s %s %s", v ? v : "?", c ? c : "?", g ? g : "-");
	return buf;
}

/* one direction's crypto_info, for each cipher kTLS takes under TLS 1.3 */
union ktls_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 gcm128;
	struct tls12_crypto_info_aes_gcm_256 gcm256;
	struct tls12_crypto_info_chacha20_poly1305 chacha;
};

struct ktls_cipher {
	gnutls_cipher_algorithm_t gnutls;
	__u16 type;
	unsigned int key_size, salt_size, iv_size;
	socklen_t info_size;
};

static const struct ktls_cipher ktls_ciphers[] = {
	{ GNUTLS_CIPHER_AES_128_GCM, TLS_CIPHER_AES_GCM_128,
	  TLS_CIPHER_AES_GCM_128_KEY_SIZE, TLS_CIPHER_AES_GCM_128_SALT_SIZE,
	  TLS_CIPHER_AES_GCM_128_IV_SIZE,
	  sizeof(struct tls12_crypto_info_aes_gcm_128) },
	{ GNUTLS_CIPHER_AES_256_GCM, TLS_CIPHER_AES_GCM_256,
	  TLS_CIPHER_AES_GCM_256_KEY_SIZE, TLS_CIPHER_AES_GCM_256_SALT_SIZE,
	  TLS_CIPHER_AES_GCM_256_IV_SIZE,
	  sizeof(struct tls12_crypto_info_aes_gcm_256) },
	{ GNUTLS_CIPHER_CHACHA20_POLY1305, TLS_CIPHER_CHACHA20_POLY1305,
	  TLS_CIPHER_CHACHA20_POLY1305_KEY_SIZE,
	  TLS_CIPHER_CHACHA20_POLY1305_SALT_SIZE,
	  TLS_CIPHER_CHACHA20_POLY1305_IV_SIZE,
	  sizeof(struct tls12_crypto_info_chacha20_poly1305) },
};

/*
 * Fill in one direction.  A TLS 1.3 record nonce is the 12-byte static IV
 * XORed with the sequence number; kTLS's structs split that IV into salt
 * (the first salt_size bytes) and iv (the rest), and want the next record
 * sequence number big-endian, as GnuTLS gives it.
 */
static int ktls_fill(gnutls_session_t s, unsigned int read,
		     const struct ktls_cipher *kc, union ktls_info *ki)
{
	gnutls_datum_t mac, iv, key;
	unsigned char seq[8];
	unsigned char *k, *salt, *civ, *rs;
	int ret;

	ret = gnutls_record_get_state(s, read, &mac, &iv, &key, seq);
	if (ret < 0)
		return ret;
	if (key.size != kc->key_size ||
	    iv.size != kc->salt_size + kc->iv_size)
		return GNUTLS_E_INTERNAL_ERROR;

	memset(ki, 0, sizeof(*ki));
	ki->info.version = TLS_1_3_VERSION;
	ki->info.cipher_type = kc->type;
	switch (kc->type) {
	case TLS_CIPHER_AES_GCM_128:
		k = ki->gcm128.key;
		salt = ki->gcm128.salt;
		civ = ki->gcm128.iv;
		rs = ki->gcm128.rec_seq;
		break;
	case TLS_CIPHER_AES_GCM_256:
		k = ki->gcm256.key;
		salt = ki->gcm256.salt;
		civ = ki->gcm256.iv;
		rs = ki->gcm256.rec_seq;
		break;
	default:
		k = ki->chacha.key;
		salt = ki->chacha.salt;
		civ = ki->chacha.iv;
		rs = ki->chacha.rec_seq;
		break;
	}
	memcpy(k, key.data, kc->key_size);
	memcpy(salt, iv.data, kc->salt_size);
	memcpy(civ, (unsigned char *)iv.data + kc->salt_size, kc->iv_size);
	memcpy(rs, seq, sizeof(seq));
	return 0;
}

/*
 * Hand the session to kTLS on fd.  Returns 0 or -errno; *what names the
 * step that failed.  The socket is not usable after
 * a failure (it may be half set up), and its owner must close it.
 */
int session_install_ktls(gnutls_session_t s, int fd, const char **what)
{
	gnutls_cipher_algorithm_t c = gnutls_cipher_get(s);
	const struct ktls_cipher *kc = NULL;
	union ktls_info tx, rx;
	size_t i, pending;
	int err = 0;

	*what = "protocol";
	if (gnutls_protocol_get_version(s) != GNUTLS_TLS1_3)
		return -EPROTONOSUPPORT;
	*what = "cipher";
	for (i = 0; i < ARRAY_SIZE(ktls_ciphers); i++)
		if (ktls_ciphers[i].gnutls == c)
			kc = &ktls_ciphers[i];
	if (!kc)
		return -EPROTONOSUPPORT;
	/*
	 * Plaintext GnuTLS already decrypted cannot be given to kTLS.  A
	 * 1.3 client's data follows its Finished, which GnuTLS reads up to
	 * the record's last byte and no further, so this is not expected.
	 */
	*what = "pending data";
	pending = gnutls_record_check_pending(s);
	if (pending) {
		pr_err("%zu bytes of application data already decrypted\n",
		       pending);
		return -EPROTO;
	}
	*what = "keys";
	if (ktls_fill(s, 0, kc, &tx) < 0 || ktls_fill(s, 1, kc, &rx) < 0) {
		err = -EIO;
		goto out;
	}
	*what = "TCP_ULP tls";
	if (setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) < 0) {
		err = -errno;	/* ENOENT: tls.ko not loaded */
		goto out;
	}
	*what = "TLS_TX";
	if (setsockopt(fd, SOL_TLS, TLS_TX, &tx, kc->info_size) < 0) {
		err = -errno;	/* ENOENT: no such AEAD in the crypto API */
		goto out;
	}
	*what = "TLS_RX";
	if (setsockopt(fd, SOL_TLS, TLS_RX, &rx, kc->info_size) < 0) {
		err = -errno;
		goto out;
	}
	*what = NULL;
out:
	explicit_bzero(&tx, sizeof(tx));
	explicit_bzero(&rx, sizeof(rx));
	return err;
}
