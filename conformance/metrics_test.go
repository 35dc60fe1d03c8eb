package conformance

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// TestMetrics checks that the daemon's HTTP listener reports the requests it
// served, by operation and result, and answers its health checks.
func TestMetrics(t *testing.T) {
	metricsAddr := freeLoopbackAddr(t)
	d := startDaemon(t, t.TempDir(), "KMIPD_METRICS_LISTEN="+metricsAddr)
	c := d.client(t)
	createKey(t, c, "metrics-key", "")
	_, err := try(c, kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: "no-such-object"})
	requireReason(t, err, kmip.ReasonItemNotFound)

	for _, path := range []string{"/healthz", "/readyz"} {
		if code, _ := httpGet(t, "http://"+metricsAddr+path); code != http.StatusOK {
			t.Errorf("%s: status %d, want 200", path, code)
		}
	}
	_, body := httpGet(t, "http://"+metricsAddr+"/metrics")
	for _, want := range []string{
		`kmipd_requests_total{operation="Create",reason="",status="Success"} 1`,
		`kmipd_requests_total{operation="Get",reason="ItemNotFound",status="OperationFailed"} 1`,
		`kmipd_request_duration_seconds_count{operation="Create"} 1`,
		`kmipd_open_connections 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(b)
}
