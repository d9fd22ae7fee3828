/*
 * lab-netem: delay, jitter and loss for one direction of one lab host, in user space.
 *
 * The machines tokenbus is tested on run kernels without the netem queueing discipline, so
 * bin/tokenbus-lab sends a host's packets (one direction) to an NFQUEUE with an iptables rule, and
 * this program gives each packet its verdict: dropped with probability LOSS, otherwise accepted
 * DELAY ms (plus or minus up to JITTER ms, uniformly) after it arrived. Packets leave in the order
 * they came (a jittered packet never overtakes the one before it), as on one link.
 *
 *   lab-netem QUEUE SETTINGS_FILE
 *
 * SETTINGS_FILE holds "DELAY_MS JITTER_MS LOSS_PERCENT"; it is read at start and again on SIGHUP,
 * so that a change applies without losing the packets held. Runs until SIGTERM or SIGINT; packets
 * still held then are accepted at once. Run it inside the host's network namespace, as root.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#define HELD_MAX 65536 /* packets held at once; beyond that a packet passes without delay */

struct held {
  uint32_t id;
  int64_t release_ns;
};

static struct held held[HELD_MAX];
static size_t head, count;
static int64_t last_release_ns;
static double delay_ms, jitter_ms, loss_pct;
static const char *settings_path;
static volatile sig_atomic_t reload = 1, stop;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void on_signal(int sig) {
  if (sig == SIGHUP) reload = 1; else stop = 1;
}

static void read_settings(void) {
  FILE *f = fopen(settings_path, "r");
  double d = 0, j = 0, l = 0;
  if (f == NULL || fscanf(f, "%lf %lf %lf", &d, &j, &l) != 3 || d < 0 || j < 0 || l < 0 || l > 100) {
    fprintf(stderr, "lab-netem: cannot read DELAY_MS JITTER_MS LOSS_PERCENT from %s; keeping the old settings\n",
        settings_path);
  } else {
    delay_ms = d; jitter_ms = j; loss_pct = l;
  }
  if (f != NULL) fclose(f);
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *data) {
  (void)msg; (void)data;
  struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
  if (ph == NULL) return 0;
  uint32_t id = ntohl(ph->packet_id);
  if (loss_pct > 0 && drand48() * 100.0 < loss_pct) {
    return nfq_set_verdict(qh, id, NF_DROP, 0, NULL);
  }
  double ms = delay_ms + (jitter_ms > 0 ? (drand48() * 2 - 1) * jitter_ms : 0);
  int64_t release = now_ns() + (int64_t)(ms > 0 ? ms * 1e6 : 0);
  if (release < last_release_ns) release = last_release_ns; /* in order, as on one link */
  if (count == HELD_MAX || release <= now_ns()) {
    return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
  }
  held[(head + count) % HELD_MAX] = (struct held){id, release};
  count++;
  last_release_ns = release;
  return 0;
}

static void release_due(struct nfq_q_handle *qh, int all) {
  int64_t now = now_ns();
  while (count > 0 && (all || held[head].release_ns <= now)) {
    nfq_set_verdict(qh, held[head].id, NF_ACCEPT, 0, NULL);
    head = (head + 1) % HELD_MAX;
    count--;
  }
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: lab-netem QUEUE SETTINGS_FILE\n");
    return 2;
  }
  int queue = atoi(argv[1]);
  settings_path = argv[2];
  srand48((long)now_ns() ^ getpid());

  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigaction(SIGHUP, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  struct nfq_handle *h = nfq_open();
  if (h == NULL) { perror("lab-netem: nfq_open"); return 1; }
  struct nfq_q_handle *qh = nfq_create_queue(h, (uint16_t)queue, &on_packet, NULL);
  if (qh == NULL) { perror("lab-netem: nfq_create_queue"); return 1; }
  if (nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0) { perror("lab-netem: nfq_set_mode"); return 1; }
  nfq_set_queue_maxlen(qh, HELD_MAX);
  int fd = nfq_fd(h);
  /* No ENOBUFS storms: a big receive buffer, and the kernel is told not to report them. */
  nfnl_rcvbufsiz(nfq_nfnlh(h), 8 << 20);
  int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one);

  char buf[65536] __attribute__((aligned));
  while (!stop) {
    if (reload) {
      reload = 0;
      read_settings();
    }
    int timeout = -1;
    if (count > 0) {
      int64_t wait = held[head].release_ns - now_ns();
      timeout = wait <= 0 ? 0 : (int)((wait + 999999) / 1000000);
    }
    struct pollfd p = {fd, POLLIN, 0};
    int n = poll(&p, 1, timeout);
    if (n < 0 && errno != EINTR) { perror("lab-netem: poll"); break; }
    if (n > 0 && (p.revents & POLLIN)) {
      /* Take everything that is waiting, without blocking. */
      for (;;) {
        ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r < 0) break;
        nfq_handle_packet(h, buf, (int)r);
      }
    }
    release_due(qh, 0);
  }
  release_due(qh, 1);
  nfq_destroy_queue(qh);
  nfq_close(h);
  return 0;
}
