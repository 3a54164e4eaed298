/*
 * pinshim: a PKCS#11 library for tests and benchmarks that wraps a real one (SoftHSM2) and adds
 * what SoftHSM lacks:
 *
 *  - a user-PIN retry counter with lockout. SoftHSM never locks a token and only ever sets
 *    CKF_USER_PIN_COUNT_LOW, so FINAL_TRY and LOCKED could not be tested otherwise;
 *  - a slow card: an optional delay before every signature.
 *
 * Environment:
 *   PINSHIM_TARGET     the real library (default /usr/lib/softhsm/libsofthsm2.so)
 *   PINSHIM_STATE      directory of the state files (required)
 *   PINSHIM_MAX_TRIES  user-PIN tries before lockout (default 3)
 *
 * State files in PINSHIM_STATE. They are files, not memory, so that the state outlives a process
 * (a server restart does not unlock a token) and a test can read and write it:
 *   <label>.tries     tries left, decimal; absent = PINSHIM_MAX_TRIES
 *   <label>.logins    number of user or context-specific C_Login calls for that token
 *   sign-delay-ms     if present and > 0, C_Sign/C_SignFinal sleep that long first
 * <label> is the token label without its blank padding; bytes other than [A-Za-z0-9._-] become '_'.
 *
 * Only C_GetFunctionList is exported. Everything else goes straight to the real library through
 * a copy of its function list in which four entries are replaced.
 *
 * Build: gcc -std=c99 -shared -fPIC -O2 -I/usr/include/p11-kit-1 -o libpinshim.so pinshim.c -ldl -lpthread
 */
#define _DEFAULT_SOURCE /* flock, nanosleep, snprintf under -std=c99 */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#define DEFAULT_TARGET "/usr/lib/softhsm/libsofthsm2.so"
#define NAME_MAX_LEN 64 /* a 32-byte label, sanitised, plus a suffix */

static CK_FUNCTION_LIST *real;       /* the wrapped library's list */
static CK_FUNCTION_LIST shim;        /* copy of it with our entries */
static const char *state_dir;
static long max_tries = 3;
static CK_RV load_result = CKR_GENERAL_ERROR;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

/* Serialises the read-modify-write of state files between threads; flock on .lock does the same
 * between processes (two servers, or a server and pkcs11-tool, on one state directory). Never held
 * during a call into the real library or during the sign delay. */
static pthread_mutex_t state_mutex = PTHREAD_MUTEX_INITIALIZER;
static int lock_fd = -1;

static void state_lock(void) {
    pthread_mutex_lock(&state_mutex);
    if (lock_fd >= 0) {
        while (flock(lock_fd, LOCK_EX) != 0 && errno == EINTR) {
        }
    }
}

static void state_unlock(void) {
    if (lock_fd >= 0) {
        flock(lock_fd, LOCK_UN);
    }
    pthread_mutex_unlock(&state_mutex);
}

/* Reads a decimal number from state_dir/name; returns dflt if the file is absent or unreadable. */
static long read_number(const char *name, long dflt) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", state_dir, name);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return dflt;
    }
    long v;
    if (fscanf(f, "%ld", &v) != 1) {
        v = dflt;
    }
    fclose(f);
    return v;
}

/* Writes through a temporary file and rename, so that a reader (a test) never sees half a file. */
static void write_number(const char *name, long value) {
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/%s", state_dir, name);
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long) getpid());
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        return;
    }
    fprintf(f, "%ld\n", value);
    if (fclose(f) == 0) {
        rename(tmp, path);
    } else {
        unlink(tmp);
    }
}

/* "<label><suffix>": the label without its blank padding, unsafe bytes replaced so it is one
 * file name. SoftHsm.java applies the same mapping. */
static void state_name(const CK_UTF8CHAR label[32], const char *suffix, char out[NAME_MAX_LEN]) {
    int n = 32;
    while (n > 0 && (label[n - 1] == ' ' || label[n - 1] == '\0')) {
        n--;
    }
    int i;
    for (i = 0; i < n; i++) {
        unsigned char c = label[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_'
                || c == '-';
        out[i] = ok ? (char) c : '_';
    }
    if (n == 0) {
        out[i++] = '_';
    }
    snprintf(out + i, NAME_MAX_LEN - i, "%s", suffix);
}

/* Label of the token behind a session, via session -> slot -> token info. */
static int session_label(CK_SESSION_HANDLE session, CK_UTF8CHAR label[32]) {
    CK_SESSION_INFO si;
    CK_TOKEN_INFO ti;
    if (real->C_GetSessionInfo(session, &si) != CKR_OK || real->C_GetTokenInfo(si.slotID, &ti) != CKR_OK) {
        return 0;
    }
    memcpy(label, ti.label, 32);
    return 1;
}

static CK_RV shim_Login(CK_SESSION_HANDLE session, CK_USER_TYPE user_type, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len) {
    CK_UTF8CHAR label[32];
    /* The SO PIN has no counter here; a session we cannot resolve is the real library's error to report. */
    if ((user_type != CKU_USER && user_type != CKU_CONTEXT_SPECIFIC) || !session_label(session, label)) {
        return real->C_Login(session, user_type, pin, pin_len);
    }
    char tries_file[NAME_MAX_LEN], logins_file[NAME_MAX_LEN];
    state_name(label, ".tries", tries_file);
    state_name(label, ".logins", logins_file);

    state_lock();
    write_number(logins_file, read_number(logins_file, 0) + 1);
    long tries = read_number(tries_file, max_tries);
    state_unlock();
    if (tries <= 0) {
        return CKR_PIN_LOCKED; /* like a card: a locked PIN is not even tried */
    }

    CK_RV rv = real->C_Login(session, user_type, pin, pin_len);

    if (rv == CKR_PIN_INCORRECT) {
        state_lock();
        /* Re-read: another thread or process may have counted a failure meanwhile. */
        tries = read_number(tries_file, max_tries);
        write_number(tries_file, tries > 0 ? tries - 1 : 0);
        state_unlock();
    } else if (rv == CKR_OK) {
        /* Not on CKR_USER_ALREADY_LOGGED_IN: the library answers that before it looks at the
           PIN, so it proves nothing about the PIN. */
        state_lock();
        write_number(tries_file, max_tries);
        state_unlock();
    }
    return rv;
}

static CK_RV shim_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info) {
    CK_RV rv = real->C_GetTokenInfo(slot, info);
    if (rv != CKR_OK) {
        return rv;
    }
    char tries_file[NAME_MAX_LEN];
    state_name(info->label, ".tries", tries_file);
    state_lock();
    long tries = read_number(tries_file, max_tries);
    state_unlock();
    /* The counter, not SoftHSM's own COUNT_LOW (which it sets after any wrong PIN), is the truth. */
    info->flags &= ~(CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED);
    if (tries <= 0) {
        info->flags |= CKF_USER_PIN_LOCKED;
    } else if (tries < max_tries) {
        info->flags |= CKF_USER_PIN_COUNT_LOW;
        if (tries == 1) {
            info->flags |= CKF_USER_PIN_FINAL_TRY;
        }
    }
    return CKR_OK;
}

/* The slow-card delay. Read on every signature so a test can change it while a server runs. */
static void sign_delay(void) {
    state_lock();
    long ms = read_number("sign-delay-ms", 0);
    state_unlock();
    if (ms <= 0) {
        return;
    }
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* A NULL output buffer only asks for the signature length (PKCS#11 5.2): no delay for that, so
 * callers that ask first are not slowed twice. */
static CK_RV shim_Sign(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG data_len, CK_BYTE_PTR signature,
        CK_ULONG_PTR signature_len) {
    if (signature != NULL) {
        sign_delay();
    }
    return real->C_Sign(session, data, data_len, signature, signature_len);
}

static CK_RV shim_SignFinal(CK_SESSION_HANDLE session, CK_BYTE_PTR signature, CK_ULONG_PTR signature_len) {
    if (signature != NULL) {
        sign_delay();
    }
    return real->C_SignFinal(session, signature, signature_len);
}

static void load(void) {
    state_dir = getenv("PINSHIM_STATE");
    if (state_dir == NULL || state_dir[0] == '\0') {
        fprintf(stderr, "pinshim: PINSHIM_STATE is not set\n");
        return;
    }
    const char *mt = getenv("PINSHIM_MAX_TRIES");
    if (mt != NULL && atol(mt) > 0) {
        max_tries = atol(mt);
    }
    const char *target = getenv("PINSHIM_TARGET");
    if (target == NULL || target[0] == '\0') {
        target = DEFAULT_TARGET;
    }
    /* RTLD_LOCAL: the real library's C_* symbols must not be mixed up with anyone else's. */
    void *lib = dlopen(target, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        fprintf(stderr, "pinshim: cannot load %s: %s\n", target, dlerror());
        return;
    }
    CK_C_GetFunctionList get;
    *(void **) &get = dlsym(lib, "C_GetFunctionList"); /* the POSIX idiom; a cast is not ISO C */
    if (get == NULL || get(&real) != CKR_OK || real == NULL) {
        fprintf(stderr, "pinshim: %s has no usable C_GetFunctionList\n", target);
        return;
    }
    char lock_path[4096];
    snprintf(lock_path, sizeof lock_path, "%s/.lock", state_dir);
    lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd < 0) {
        fprintf(stderr, "pinshim: cannot open %s\n", lock_path);
        return;
    }
    shim = *real;
    shim.C_GetFunctionList = C_GetFunctionList; /* hand out our list, not the real one */
    shim.C_Login = shim_Login;
    shim.C_GetTokenInfo = shim_GetTokenInfo;
    shim.C_Sign = shim_Sign;
    shim.C_SignFinal = shim_SignFinal;
    load_result = CKR_OK;
}

__attribute__((visibility("default"))) CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) {
    if (list == NULL) {
        return CKR_ARGUMENTS_BAD;
    }
    pthread_once(&load_once, load);
    if (load_result != CKR_OK) {
        return load_result;
    }
    *list = &shim;
    return CKR_OK;
}
