package analyzer

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// isUnknownSentinel reports whether a string is one the protocol encodes an unknown value as. A switch,
// not a set: it is asked of every string of a stack, and comparing with seven constants of one length
// costs less than hashing.
func isUnknownSentinel(s string) bool {
	switch s {
	case plugin.UnknownStringValue, plugin.UnknownBoolValue, plugin.UnknownNumberValue, plugin.UnknownArrayValue,
		plugin.UnknownAssetValue, plugin.UnknownArchiveValue, plugin.UnknownObjectValue:
		return true
	}
	return false
}

// unmarshalProperties checks properties against b's limits and decodes them exactly as
// plugin.UnmarshalProperties does with opts, in one pass. It skips the SDK's per-map key sorting and
// logging, which dominate the cost of a large AnalyzeStack: plain values are decoded here, and every
// value that needs the protocol's rules (unknown sentinels, secrets, assets, resource references, output
// values) goes through plugin.UnmarshalPropertyValue itself once its contents pass the checks. A test
// compares the two on every kind of value. Options the fast path does not cover are checked first and
// then decoded by the SDK.
func unmarshalProperties(props *structpb.Struct, opts plugin.MarshalOptions, b *budget) (resource.PropertyMap, error) {
	if !opts.KeepUnknowns || opts.SkipNulls || opts.SkipInternalKeys || opts.RejectUnknowns || opts.RejectAssets ||
		opts.ComputeAssetHashes || opts.PropagateNil {
		if err := checkStruct(props, 0, b); err != nil {
			return nil, err
		}
		return plugin.UnmarshalProperties(props, opts)
	}
	pm, err := unmarshalObject("", props.GetFields(), 0, opts, b)
	if err != nil {
		return nil, err
	}
	return pm, nil
}

// unmarshalObject decodes the fields of a struct nested depth levels down.
func unmarshalObject(key resource.PropertyKey, fields map[string]*structpb.Value, depth int, opts plugin.MarshalOptions,
	b *budget,
) (resource.PropertyMap, *requestError) {
	obj := make(resource.PropertyMap, len(fields))
	for fk, fv := range fields {
		if err := b.spend(); err != nil {
			return nil, err
		}
		if len(fk) > b.nameBytes {
			return nil, &requestError{path: []string{fmt.Sprintf(".%.64q…", fk)}, problem: fmt.Sprintf("a key of %d bytes; the pack accepts at most %d", len(fk), b.nameBytes)}
		}
		k := key
		if depth == 0 {
			k = resource.PropertyKey(fk)
		}
		pv, err := unmarshalValue(k, fv, depth, opts, b)
		if err != nil {
			return nil, err.at("." + fk)
		}
		obj[resource.PropertyKey(fk)] = pv
	}
	return obj, nil
}

// unmarshalValue decodes one value nested depth levels down; key is the top-level property it is in.
func unmarshalValue(key resource.PropertyKey, v *structpb.Value, depth int, opts plugin.MarshalOptions,
	b *budget,
) (resource.PropertyValue, *requestError) {
	if depth > b.depth {
		return resource.PropertyValue{}, &requestError{problem: fmt.Sprintf("values nest more than %d levels deep, the most the pack accepts", b.depth)}
	}
	switch k := v.GetKind().(type) {
	case nil:
		return resource.PropertyValue{}, &requestError{problem: noKind}
	case *structpb.Value_NullValue:
		return resource.NewNullProperty(), nil
	case *structpb.Value_BoolValue:
		return resource.NewBoolProperty(k.BoolValue), nil
	case *structpb.Value_NumberValue:
		return resource.NewNumberProperty(k.NumberValue), nil
	case *structpb.Value_StringValue:
		if len(k.StringValue) > b.stringBytes {
			return resource.PropertyValue{}, &requestError{problem: fmt.Sprintf("a string of %d bytes; the pack accepts at most %d", len(k.StringValue), b.stringBytes)}
		}
		if isUnknownSentinel(k.StringValue) {
			return viaPlugin(key, v, opts)
		}
		return resource.NewStringProperty(k.StringValue), nil
	case *structpb.Value_ListValue:
		items := k.ListValue.GetValues()
		arr := make([]resource.PropertyValue, len(items))
		for i, e := range items {
			if err := b.spend(); err != nil {
				return resource.PropertyValue{}, err
			}
			pv, err := unmarshalValue(key, e, depth+1, opts, b)
			if err != nil {
				return resource.PropertyValue{}, err.at("[" + strconv.Itoa(i) + "]")
			}
			arr[i] = pv
		}
		return resource.NewArrayProperty(arr), nil
	case *structpb.Value_StructValue:
		fields := k.StructValue.GetFields()
		if _, signed := fields[resource.SigKey]; signed {
			if err := checkStruct(k.StructValue, depth+1, b); err != nil {
				return resource.PropertyValue{}, err
			}
			return viaPlugin(key, v, opts)
		}
		obj, err := unmarshalObject(key, fields, depth+1, opts, b)
		if err != nil {
			return resource.PropertyValue{}, err
		}
		return resource.NewObjectProperty(obj), nil
	}
	if err := checkValue(v, depth, b); err != nil {
		return resource.PropertyValue{}, err
	}
	return viaPlugin(key, v, opts)
}

// viaPlugin decodes one value with the protocol's own code.
func viaPlugin(key resource.PropertyKey, v *structpb.Value, opts plugin.MarshalOptions) (resource.PropertyValue, *requestError) {
	pv, err := plugin.UnmarshalPropertyValue(key, v, opts)
	if err != nil {
		return resource.PropertyValue{}, &requestError{problem: err.Error()}
	}
	if pv == nil {
		return resource.NewNullProperty(), nil
	}
	return *pv, nil
}

// decodeChunk is how many resources one goroutine decodes at a time.
const decodeChunk = 512

// decodeStack decodes an AnalyzeStack request's resources on every processor, keeping their order. It
// stops with the context's error when ctx ends. Each chunk is checked against lim with a budget of its
// own, and the values of all chunks together against lim too.
func decodeStack(ctx context.Context, req *pulumirpc.AnalyzeStackRequest, lim limits) ([]*policy.Resource, error) {
	ars := req.GetResources()
	out := make([]*policy.Resource, len(ars))
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		firstAt  = len(ars)
		next     = make(chan int)
		spent    atomic.Int64
	)
	for range max(1, min(runtime.GOMAXPROCS(0), (len(ars)+decodeChunk-1)/decodeChunk)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for start := range next {
				if ctx.Err() != nil {
					continue
				}
				b := &budget{limits: lim}
				end := min(start+decodeChunk, len(ars))
				chunk := make([]policy.Resource, end-start) // one allocation for the chunk's resources
				for i := start; i < end; i++ {
					r := &chunk[i-start]
					err := stackResource(r, ars[i], b)
					if err == nil && spent.Load()+int64(b.values) > int64(lim.values) {
						err = fmt.Errorf("the request carries more than %d values, the most the pack accepts", lim.values)
					}
					if err != nil {
						mu.Lock()
						if i < firstAt {
							firstAt, firstErr = i, err
						}
						mu.Unlock()
						break
					}
					out[i] = r
				}
				spent.Add(int64(b.values))
			}
		}()
	}
	for start := 0; start < len(ars); start += decodeChunk {
		next <- start
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, firstErr
}
