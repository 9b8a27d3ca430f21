package api

import (
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/conatt/tipdash/schemas"
)

// metrics are the server's Prometheus series: requests by route and
// status, and their durations. Routes are the router's patterns, so that
// no id or value of a request becomes a label.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tipdash_http_requests_total",
		Help: "HTTP requests by method, route and status."}, []string{"method", "route", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tipdash_http_request_duration_seconds",
		Help: "HTTP request durations by route.", Buckets: prometheus.DefBuckets}, []string{"method", "route"})
	m.reg.MustRegister(m.requests, m.duration, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		status := c.Response().Status
		if err != nil {
			status = statusOf(err)
			if he, ok := err.(*echo.HTTPError); ok {
				status = he.Code
			}
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		m.requests.WithLabelValues(c.Request().Method, route, strconv.Itoa(status)).Inc()
		m.duration.WithLabelValues(c.Request().Method, route).Observe(time.Since(start).Seconds())
		return err
	}
}

// metricsHandler serves /metrics to an administrator's token, or to a
// scraper on this machine.
func (s *Server) metricsHandler(c echo.Context) error {
	caller, ok := schemas.CallerFrom(c.Request().Context())
	host, _, _ := net.SplitHostPort(c.Request().RemoteAddr)
	ip := net.ParseIP(host)
	if !(ok && caller.User.Role == schemas.RoleAdmin) && !(ip != nil && ip.IsLoopback()) {
		if !ok {
			return errSignIn
		}
		return forbidden(caller.User.Role)
	}
	promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}).ServeHTTP(c.Response(), c.Request())
	return nil
}

// healthz answers whether the server is up; it needs no account.
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}
