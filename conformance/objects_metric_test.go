package conformance

import (
	"strings"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// TestObjectsMetric checks the gauge kmipd_objects{type,state}: counted at
// start from the stored objects, and recounted in the background after
// traffic changes them.
func TestObjectsMetric(t *testing.T) {
	metricsAddr := freeLoopbackAddr(t)
	dir := t.TempDir()
	env := []string{"KMIPD_METRICS_LISTEN=" + metricsAddr, "KMIPD_OBJECTS_RECOUNT=200ms"}
	d := startDaemon(t, dir, env...)
	c := d.client(t)
	var ids []string
	for range 3 {
		ids = append(ids, createKey(t, c, "", ""))
	}
	do[*kmip.ActivateResponse](t, c, kmip14.OperationActivate, &kmip.ActivateRequest{UniqueIdentifier: ids[0]})
	do[*kmip.DestroyResponse](t, c, kmip14.OperationDestroy, &kmip.DestroyRequest{UniqueIdentifier: ids[1]})
	waitForMetrics(t, metricsAddr,
		`kmipd_objects{state="Active",type="SymmetricKey"} 1`,
		`kmipd_objects{state="PreActive",type="SymmetricKey"} 1`,
		`kmipd_objects{state="Destroyed",type="SymmetricKey"} 1`,
	)

	// After a restart the first count comes from the store.
	d.stop(t)
	d = startDaemon(t, dir, env...)
	c = d.client(t)
	do[*kmip.ActivateResponse](t, c, kmip14.OperationActivate, &kmip.ActivateRequest{UniqueIdentifier: ids[2]})
	body := waitForMetrics(t, metricsAddr,
		`kmipd_objects{state="Active",type="SymmetricKey"} 2`,
		`kmipd_objects{state="Destroyed",type="SymmetricKey"} 1`,
	)
	if strings.Contains(body, `state="PreActive"`) {
		t.Errorf("no Pre-Active object is left, yet the gauge reports some:\n%s", grepLines(body, "kmipd_objects"))
	}
	d.stop(t)
}

// waitForMetrics scrapes /metrics until every line of want is in it, and
// returns the last body; it fails after a few seconds.
func waitForMetrics(t *testing.T, addr string, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, body := httpGet(t, "http://"+addr+"/metrics")
		missing := ""
		for _, w := range want {
			if !strings.Contains(body, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics lack %q:\n%s", missing, grepLines(body, "kmipd_objects"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// grepLines returns the lines of s that contain word.
func grepLines(s, word string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
