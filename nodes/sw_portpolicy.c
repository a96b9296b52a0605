/*  sw_portpolicy - severity of an exposed TCP port.

    Ratings assume the scanner sees the port from outside the service's
    trust boundary: the question is "should this be reachable from here",
    not "is the software vulnerable". docs/port-policy.md explains each
    category's rating; keep the two in step. */
#include "sw_portpolicy.h"

//  Sorted by port, strictly ascending, so lookup can binary-search; the
//  unit tests enforce the order.
static const sw_port_policy_t s_table[] = {
    {21, "ftp", "file-sharing", SW_SEV_MEDIUM,
     "FTP sends credentials in cleartext and is often configured for anonymous access."},
    {22, "ssh", "remote-admin", SW_SEV_MEDIUM,
     "SSH is encrypted but is a login surface for brute force; keep it behind a bastion or VPN."},
    {23, "telnet", "remote-admin", SW_SEV_HIGH,
     "Telnet gives a shell login with credentials and session in cleartext."},
    {25, "smtp", "mail", SW_SEV_LOW,
     "SMTP is expected on mail hosts; elsewhere check it is not an open relay."},
    {80, "http", "web", SW_SEV_INFO,
     "HTTP is meant to be public; what it serves is judged elsewhere."},
    {110, "pop3", "mail", SW_SEV_LOW,
     "POP3 is expected on mail hosts and may allow cleartext logins."},
    {111, "rpcbind", "file-sharing", SW_SEV_MEDIUM,
     "rpcbind lists RPC services (NFS, NIS) and is used for reflection attacks."},
    {139, "netbios-ssn", "file-sharing", SW_SEV_HIGH,
     "NetBIOS session service exposes Windows shares and legacy SMB authentication."},
    {143, "imap", "mail", SW_SEV_LOW,
     "IMAP is expected on mail hosts and may allow cleartext logins."},
    {389, "ldap", "directory", SW_SEV_MEDIUM,
     "LDAP often allows anonymous binds that enumerate users and groups."},
    {443, "https", "web", SW_SEV_INFO,
     "HTTPS is meant to be public; what it serves is judged elsewhere."},
    {445, "smb", "file-sharing", SW_SEV_HIGH,
     "SMB exposes file shares and has a long record of wormable remote code execution."},
    {512, "rexec", "remote-admin", SW_SEV_HIGH,
     "rexec runs commands after a cleartext password exchange."},
    {513, "rlogin", "remote-admin", SW_SEV_HIGH,
     "rlogin trusts the client's host name and sends sessions in cleartext."},
    {514, "rsh", "remote-admin", SW_SEV_HIGH,
     "rsh runs commands on host-based trust with no real authentication."},
    {636, "ldaps", "directory", SW_SEV_MEDIUM,
     "LDAP over TLS still often allows anonymous binds that enumerate users and groups."},
    {873, "rsync", "file-sharing", SW_SEV_HIGH,
     "rsync daemons often serve modules without authentication, readable or writable."},
    {1433, "mssql", "database", SW_SEV_HIGH,
     "A database should only be reachable by its applications, never from the scan origin."},
    {1521, "oracle", "database", SW_SEV_HIGH,
     "A database should only be reachable by its applications, never from the scan origin."},
    {1883, "mqtt", "message-queue", SW_SEV_MEDIUM,
     "MQTT brokers are often deployed without authentication, letting anyone publish."},
    {2049, "nfs", "file-sharing", SW_SEV_HIGH,
     "NFS authorises by client address and UID, which any reachable host can claim."},
    {2181, "zookeeper", "control-plane", SW_SEV_HIGH,
     "ZooKeeper holds cluster configuration and usually has no authentication."},
    {2375, "docker", "control-plane", SW_SEV_CRITICAL,
     "The plain Docker API has no authentication: anyone can start a privileged container."},
    {2376, "docker-tls", "control-plane", SW_SEV_MEDIUM,
     "The Docker API over TLS requires client certificates but should still not be exposed."},
    {2377, "docker-swarm", "control-plane", SW_SEV_MEDIUM,
     "Swarm cluster management is mutually authenticated but should stay on the cluster network."},
    {2379, "etcd", "control-plane", SW_SEV_HIGH,
     "etcd client API holds cluster state and secrets, often without client authentication."},
    {2380, "etcd", "control-plane", SW_SEV_HIGH,
     "etcd peer API lets a reachable host join or disrupt the cluster if TLS is not enforced."},
    {3306, "mysql", "database", SW_SEV_HIGH,
     "A database should only be reachable by its applications, never from the scan origin."},
    {3389, "rdp", "remote-admin", SW_SEV_HIGH,
     "RDP is a prime brute-force and exploit target; reach it through a gateway or VPN."},
    {4222, "nats", "message-queue", SW_SEV_MEDIUM,
     "NATS servers often run without authentication, letting anyone publish or subscribe."},
    {4369, "epmd", "message-queue", SW_SEV_MEDIUM,
     "Erlang port mapper reveals node names; with a guessed cookie it leads to code execution."},
    {5432, "postgresql", "database", SW_SEV_HIGH,
     "A database should only be reachable by its applications, never from the scan origin."},
    {5601, "kibana", "monitoring", SW_SEV_MEDIUM,
     "Kibana exposes the logs and dashboards of its Elasticsearch cluster."},
    {5672, "amqp", "message-queue", SW_SEV_MEDIUM,
     "AMQP brokers often keep default guest credentials."},
    {5900, "vnc", "remote-admin", SW_SEV_HIGH,
     "VNC gives full desktop control, often with weak or no password and no encryption."},
    {5901, "vnc", "remote-admin", SW_SEV_HIGH,
     "VNC gives full desktop control, often with weak or no password and no encryption."},
    {5902, "vnc", "remote-admin", SW_SEV_HIGH,
     "VNC gives full desktop control, often with weak or no password and no encryption."},
    {5903, "vnc", "remote-admin", SW_SEV_HIGH,
     "VNC gives full desktop control, often with weak or no password and no encryption."},
    {5984, "couchdb", "database", SW_SEV_HIGH,
     "A database should only be reachable by its applications, never from the scan origin."},
    {5985, "winrm", "remote-admin", SW_SEV_HIGH,
     "WinRM gives remote PowerShell to anyone with credentials; over HTTP it is unencrypted."},
    {5986, "winrm", "remote-admin", SW_SEV_HIGH,
     "WinRM gives remote PowerShell to anyone with credentials."},
    {6000, "x11", "remote-admin", SW_SEV_HIGH,
     "An X server open to the network allows screen capture and keystroke injection."},
    {6379, "redis", "cache", SW_SEV_HIGH,
     "Redis usually has no authentication and can be abused to write files or run code."},
    {6443, "kubernetes-api", "control-plane", SW_SEV_MEDIUM,
     "The Kubernetes API authenticates requests but should sit behind an allow-list."},
    {8000, "http-alt", "web", SW_SEV_LOW,
     "Alternate HTTP ports tend to carry development servers and admin consoles."},
    {8080, "http-alt", "web", SW_SEV_LOW,
     "Alternate HTTP ports tend to carry development servers and admin consoles."},
    {8086, "influxdb", "database", SW_SEV_HIGH,
     "A database should only be reachable by its applications, never from the scan origin."},
    {8443, "http-alt", "web", SW_SEV_LOW,
     "Alternate HTTPS ports tend to carry admin consoles and management APIs."},
    {8500, "consul", "control-plane", SW_SEV_HIGH,
     "The Consul HTTP API often runs without ACLs and can register services or run checks."},
    {8888, "http-alt", "web", SW_SEV_LOW,
     "Alternate HTTP ports tend to carry development servers and notebooks."},
    {9042, "cassandra", "database", SW_SEV_HIGH,
     "A database should only be reachable by its applications, never from the scan origin."},
    {9090, "prometheus", "monitoring", SW_SEV_MEDIUM,
     "Prometheus exposes every scraped target and its labels without authentication."},
    {9092, "kafka", "message-queue", SW_SEV_MEDIUM,
     "Kafka brokers often run without authentication, letting anyone read or write topics."},
    {9100, "node-exporter", "monitoring", SW_SEV_LOW,
     "Host metrics reveal software versions, mounts and network layout."},
    {9200, "elasticsearch", "search", SW_SEV_HIGH,
     "Elasticsearch HTTP often has no authentication and exposes every index."},
    {9300, "elasticsearch", "search", SW_SEV_HIGH,
     "The Elasticsearch transport port lets a reachable host talk to the cluster as a node."},
    {10250, "kubelet", "control-plane", SW_SEV_HIGH,
     "The kubelet API can run commands in pods when anonymous auth is left enabled."},
    {10255, "kubelet-ro", "control-plane", SW_SEV_MEDIUM,
     "The read-only kubelet port lists pods, their environment and specs without auth."},
    {11211, "memcached", "cache", SW_SEV_HIGH,
     "memcached has no authentication and is a large DDoS amplifier."},
    {15672, "rabbitmq-management", "message-queue", SW_SEV_MEDIUM,
     "The RabbitMQ management UI often keeps default guest credentials."},
    {27017, "mongodb", "database", SW_SEV_HIGH,
     "A database should only be reachable by its applications, never from the scan origin."},
};

static const sw_port_policy_t s_unknown = {
    0, "unknown", "other", SW_SEV_LOW,
    "An unrecognised service is listening; confirm it is meant to be reachable."};

const sw_port_policy_t *sw_port_policy_lookup (uint16_t port)
{
    size_t lo = 0, hi = sizeof s_table / sizeof s_table[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s_table[mid].port == port)
            return &s_table[mid];
        if (s_table[mid].port < port)
            lo = mid + 1;
        else
            hi = mid;
    }
    return &s_unknown;
}

const sw_port_policy_t *sw_port_policy_table (size_t *n)
{
    if (n)
        *n = sizeof s_table / sizeof s_table[0];
    return s_table;
}
