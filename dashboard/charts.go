package dashboard

import (
	"cmp"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/go-echarts/go-echarts/v2/types"

	"github.com/conatt/tipdash/schemas"
)

// section is one numbered chart group of the dashboard (issue 9's list):
// what it shows and the catalogue tables it draws, one chart each.
type section struct {
	N       int
	Measure schemas.Measure
	Title   schemas.Message
	About   schemas.Message
	Tables  []string
}

var sections = []section{
	{1, schemas.MeasureVictims,
		schemas.Message{ES: "Víctimas por año y sexo", EN: "Victims by year and sex"},
		schemas.Message{ES: "Víctimas de trata detectadas cada año, por sexo, y por sexo y edad (niñas, niños, mujeres, hombres), como pide el indicador ODS 16.2.2.", EN: "Trafficking victims detected each year, by sex, and by sex and age (girls, boys, women, men), as SDG indicator 16.2.2 asks."},
		[]string{"victims_year_sex", "victims_year_sex_age"}},
	{2, schemas.MeasureVictims,
		schemas.Message{ES: "Formas de explotación por sexo y edad", EN: "Forms of exploitation by sex and age"},
		schemas.Message{ES: "Cuántas víctimas sufrieron cada forma de explotación, por sexo y edad; y la forma principal por año.", EN: "How many victims suffered each form of exploitation, by sex and age; and the main form by year."},
		[]string{"victims_exploitation_sex_age", "victims_year_exploitation_main"}},
	{3, schemas.MeasureVictims,
		schemas.Message{ES: "Pirámide de edades", EN: "Age pyramid"},
		schemas.Message{ES: "Víctimas por tramo de edad: los hombres a la izquierda, las mujeres (y otro o desconocido) a la derecha.", EN: "Victims by age band: men on the left, women (and other or unknown) on the right."},
		[]string{"victims_age_band_sex"}},
	{4, schemas.MeasureVictims,
		schemas.Message{ES: "Nacionalidad por sexo", EN: "Citizenship by sex"},
		schemas.Message{ES: "Nacionalidad de las víctimas por sexo; las nacionalidades poco frecuentes se agrupan en «otra».", EN: "Victims' citizenship by sex; rare nationalities are grouped as \"other\"."},
		[]string{"victims_citizenship_sex"}},
	{5, schemas.MeasureVictims,
		schemas.Message{ES: "Provincia de explotación y puestos fronterizos", EN: "Province of exploitation and border posts"},
		schemas.Message{ES: "Dónde fueron explotadas las víctimas (las siete provincias, el extranjero o desconocido), y por qué puesto fronterizo pasaron.", EN: "Where victims were exploited (the seven provinces, abroad or unknown), and which border post they crossed."},
		[]string{"victims_province", "victims_border_post"}},
	{6, schemas.MeasureVictims,
		schemas.Message{ES: "Acreditación e institución que refiere", EN: "Accreditation and referring institution"},
		schemas.Message{ES: "Estado de acreditación de las víctimas por el ERI, y la institución que refirió cada caso (9-1-1 y 1-1-7-6 incluidos).", EN: "Victims' accreditation status by the ERI, and the institution that referred each case (9-1-1 and 1-1-7-6 included)."},
		[]string{"victims_status", "victims_referring_institution"}},
	{7, schemas.MeasureSmuggledMigrants,
		schemas.Message{ES: "Migrantes objeto de tráfico ilícito", EN: "Smuggled migrants"},
		schemas.Message{ES: "Personas migrantes objeto de tráfico por año y sexo, por puesto fronterizo, por nacionalidad, y por puesto a lo largo del tiempo.", EN: "Smuggled migrants by year and sex, by border post, by citizenship, and by border post over time."},
		[]string{"smuggled_migrants_year_sex", "smuggled_migrants_border_post_sex", "smuggled_migrants_citizenship_sex", "smuggled_migrants_year_border_post"}},
	{8, schemas.MeasureSuspects,
		schemas.Message{ES: "Personas sospechosas en el sistema de justicia penal", EN: "Suspects through criminal justice"},
		schemas.Message{ES: "Personas sospechosas de trata en cada etapa (sospechosa, procesada, condenada, absuelta) por sexo, y por año.", EN: "People suspected of trafficking at each stage (suspected, prosecuted, convicted, acquitted) by sex, and by year."},
		[]string{"suspects_tip_cj_stage_sex", "suspects_tip_year_cj_stage"}},
	{9, schemas.MeasureVictims,
		schemas.Message{ES: "Trata interna y transnacional; códigos ICCS", EN: "Domestic and transnational trafficking; ICCS codes"},
		schemas.Message{ES: "Trata interna (nacionalidad = país de explotación) o transnacional, y el delito según la Clasificación Internacional de Delitos con Fines Estadísticos (ICCS).", EN: "Domestic (citizenship = country of exploitation) or transnational trafficking, and the offence in the International Classification of Crime for Statistical Purposes (ICCS)."},
		[]string{"victims_flow", "victims_iccs"}},
}

// palette is Okabe and Ito's, safe for the common colour-vision
// deficiencies; hidden cells are grey.
var palette = opts.Colors{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"}

const hiddenColour = "#6b6b6b"

// chartView is one chart with what goes under it.
type chartView struct {
	Spec     schemas.TableSpec
	Title    string
	Chart    template.HTML // the go-echarts element and script
	Head     []string      // data table header
	Rows     []tableRow
	Notes    []string
	Withheld bool
	CSV      string
	XLSX     string
	Release  int64     // the release the table was read from (0: exact)
	Released time.Time // and its date
	// FromEarlier says, next to the chart, that its table is of an
	// earlier release than the page's (the latest withheld it); "" when
	// it is of the latest.
	FromEarlier string
}

type tableRow struct {
	Cells  []string
	Count  string
	Hidden bool
	Note   string
}

// axis is the ordered codes of one dimension of a table.
type axis struct {
	dim   schemas.Dim
	codes []string
}

// axisOf lists the codes of column col in code-list order (years in order).
func axisOf(t *schemas.Table, col int) axis {
	a := axis{dim: t.By[col]}
	for _, r := range t.Rows {
		if !slices.Contains(a.codes, r.Keys[col]) {
			a.codes = append(a.codes, r.Keys[col])
		}
	}
	dim, _ := schemas.Lookup(a.dim)
	slices.SortStableFunc(a.codes, func(x, y string) int {
		if dim != nil && dim.Index(x) >= 0 && dim.Index(y) >= 0 {
			return cmp.Compare(dim.Index(x), dim.Index(y))
		}
		return strings.Compare(x, y)
	})
	return a
}

func (a axis) labels(lang string) []string {
	out := make([]string, len(a.codes))
	for i, c := range a.codes {
		out[i] = codeLabel(a.dim, c, lang)
	}
	return out
}

// cell is one published cell: its count, hidden, or absent (zero: a
// protected tier shows zero as zero and lists only non-zero cells).
type cell struct {
	count  int
	hidden bool
}

// chartSource says where a chart's numbers come from: the release, its
// date and tier, or the exact counts of the current records.
func chartSource(t *schemas.Table, lang string) string {
	if t.Release == 0 {
		return word(lang, "chart.exact")
	}
	return fmt.Sprintf(word(lang, "chart.release"), t.Release, formatDate(lang, t.ReleasedAt), t.Tier)
}

// chartFile names a chart's PNG: the table and its release.
func chartFile(spec schemas.TableSpec, t *schemas.Table) string {
	if t.Release == 0 {
		return spec.ID + "_exact"
	}
	return fmt.Sprintf("%s_release_%d", spec.ID, t.Release)
}

// newChart draws a table as a bar chart: the first dimension along the
// axis, the second (if any) as stacked series; a pyramid puts men on the
// negative side. A hidden cell is a gap in its series (never a zero) and a
// grey "hidden" marker at its category, naming the series hidden there.
// It also returns the scripts the chart needs, under go-echarts' assets
// host (/static/: echarts is served from the binary, never a CDN).
func newChart(spec schemas.TableSpec, t *schemas.Table, lang, title string) (template.HTML, []string) {
	cat := axisOf(t, 0)
	var ser axis
	if len(t.By) > 1 {
		ser = axisOf(t, 1)
	}
	cells := map[[2]string]cell{}
	for _, r := range t.Rows {
		k := [2]string{r.Keys[0], ""}
		if len(r.Keys) > 1 {
			k[1] = r.Keys[1]
		}
		if r.Count == nil {
			cells[k] = cell{hidden: true}
		} else {
			cells[k] = cell{count: *r.Count}
		}
	}
	serCodes, serLabels := ser.codes, ser.labels(lang)
	if len(t.By) == 1 {
		serCodes, serLabels = []string{""}, []string{word(lang, "chart.count")}
	}
	pyramid := spec.Chart == "pyramid"
	horizontal := pyramid || len(cat.codes) > 8 || slices.Contains([]schemas.Dim{schemas.DimCitizenship, schemas.DimReferringInstitution}, cat.dim)
	catLabels := cat.labels(lang)

	bar := charts.NewBar()
	bar.SetGlobalOptions(
		charts.WithInitializationOpts(opts.Initialization{
			ChartID: "chart_" + spec.ID, Width: "100%", Height: chartHeight(horizontal, len(cat.codes)),
			AssetsHost: "/static/",
		}),
		charts.WithColorsOpts(palette),
		// The subtitle names the release (and so does the file name): a
		// PNG saved from the chart says what it shows.
		charts.WithTitleOpts(opts.Title{Title: title, TitleStyle: &opts.TextStyle{FontSize: 14}, Subtitle: chartSource(t, lang)}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis", AxisPointer: &opts.AxisPointer{Type: "shadow"}}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(len(t.By) > 1), Top: "46", Type: "scroll"}),
		charts.WithGridOpts(opts.Grid{Top: "88", Left: "3%", Right: "4%", Bottom: "3%", ContainLabel: opts.Bool(true)}),
		charts.WithToolboxOpts(opts.Toolbox{Show: opts.Bool(true), Right: "2%", Feature: &opts.ToolBoxFeature{
			SaveAsImage: &opts.ToolBoxFeatureSaveAsImage{Show: opts.Bool(true), Type: "png", Name: chartFile(spec, t), Title: word(lang, "download") + " PNG"},
		}}),
		charts.WithAriaOpts(&opts.Aria{Enabled: opts.Bool(true)}),
	)
	valueAxisLabel := &opts.AxisLabel{}
	if pyramid {
		// Men are drawn as negative bars; people are never negative.
		abs := opts.FuncOpts("function (v) { return typeof v === 'number' ? Math.abs(v) : v; }")
		valueAxisLabel.Formatter = abs
		bar.SetGlobalOptions(charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis",
			AxisPointer: &opts.AxisPointer{Type: "shadow"}, ValueFormatter: abs}))
	}
	if horizontal {
		bar.SetGlobalOptions(
			charts.WithXAxisOpts(opts.XAxis{Type: "value", AxisLabel: valueAxisLabel}),
			charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(!pyramid)}),
		)
		bar.XYReversal()
	} else {
		bar.SetGlobalOptions(
			charts.WithXAxisOpts(opts.XAxis{Type: "category", AxisLabel: &opts.AxisLabel{Interval: "0", Rotate: rotation(catLabels)}}),
			charts.WithYAxisOpts(opts.YAxis{Type: "value"}),
		)
	}
	bar.SetXAxis(catLabels)

	for si, sc := range serCodes {
		negative := pyramid && sc == "male"
		data := make([]opts.BarData, len(cat.codes))
		for ci, cc := range cat.codes {
			c := cells[[2]string{cc, sc}]
			switch {
			case c.hidden:
				// "-" is echarts' missing value: a gap, not a bar of zero.
				data[ci] = opts.BarData{Value: "-"}
			case negative:
				data[ci] = opts.BarData{Value: -c.count}
			default:
				data[ci] = opts.BarData{Value: c.count}
			}
		}
		stack := "total"
		if negative {
			stack = "left"
		}
		bar.AddSeries(serLabels[si], data, charts.WithBarChartOpts(opts.BarChart{Stack: stack}),
			charts.WithSeriesOpts(func(s *charts.SingleSeries) { s.BarMaxWidth = "48" }))
	}

	// One marker per category with hidden cells, at the axis origin, labelled.
	var marks []opts.ScatterData
	for ci, cc := range cat.codes {
		var names []string
		for si, sc := range serCodes {
			if cells[[2]string{cc, sc}].hidden {
				names = append(names, serLabels[si])
			}
		}
		if len(names) == 0 {
			continue
		}
		value := []any{catLabels[ci], 0}
		if horizontal {
			value = []any{0, catLabels[ci]}
		}
		name := word(lang, "chart.hidden")
		if len(t.By) > 1 {
			name += ": " + strings.Join(names, ", ")
		}
		marks = append(marks, opts.ScatterData{Name: name, Value: value, Symbol: "rect", SymbolSize: 12})
	}
	if len(marks) > 0 {
		position := "top"
		if horizontal {
			position = "right"
		}
		bar.MultiSeries = append(bar.MultiSeries, charts.SingleSeries{
			Name: word(lang, "chart.hidden"), Type: types.ChartScatter, Data: marks,
			ItemStyle: &opts.ItemStyle{Color: hiddenColour, BorderColor: "#000", BorderWidth: 1},
			Label: &opts.Label{Show: opts.Bool(true), Position: position, Color: "#333",
				Formatter: word(lang, "chart.hidden")},
		})
	}
	snip := bar.RenderSnippet()
	// go-echarts writes a trusted element and script built from our
	// options; labels in them come from the code list.
	return template.HTML(snip.Element + snip.Script), bar.JSAssets.Values
}

func chartHeight(horizontal bool, n int) string {
	if horizontal {
		return strconv.Itoa(max(320, 90+26*n)) + "px"
	}
	return "380px"
}

// rotation tilts long category labels so that they stay readable on a phone.
func rotation(labels []string) float64 {
	long := 0
	for _, l := range labels {
		long = max(long, len([]rune(l)))
	}
	if long*len(labels) > 90 {
		return 30
	}
	return 0
}
